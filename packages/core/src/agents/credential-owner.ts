/**
 * Whose agent credentials a session gets (security review F12). Credentials belong to an owner:
 * the host's owner (the unix socket's user; the scope `agent:<profile>` of single-user installs),
 * a berth user, or a team. A session never gets anyone else's.
 */
export type CredentialOwner = { kind: 'host' } | { kind: 'user'; id: string } | { kind: 'team'; id: string };

export const HOST_OWNER: CredentialOwner = { kind: 'host' };

/** The secrets scope of an owner's credentials for a profile. */
export function credentialScope(profile: string, owner: CredentialOwner): string {
  return owner.kind === 'host' ? `agent:${profile}` : `agent:${profile}:${owner.kind}:${owner.id}`;
}

/**
 * Whose credentials a session may use, first choice first: its team's when it has a team, then
 * its owner's own (the host's for a session with no owner). Nobody else's, ever.
 */
export function ownerChain(who: { ownerId?: string | null; teamId?: string | null }): CredentialOwner[] {
  const own: CredentialOwner = who.ownerId ? { kind: 'user', id: who.ownerId } : HOST_OWNER;
  return who.teamId ? [{ kind: 'team', id: who.teamId }, own] : [own];
}

/** Parses a recorded owner back (see AgentCredentials.materialise); null for anything else. */
export function parseOwner(raw: string): CredentialOwner | null {
  try {
    const v = JSON.parse(raw) as { kind?: unknown; id?: unknown };
    if (v.kind === 'host') return HOST_OWNER;
    if ((v.kind === 'user' || v.kind === 'team') && typeof v.id === 'string' && v.id !== '') {
      return { kind: v.kind, id: v.id };
    }
  } catch {
    // not a record of ours
  }
  return null;
}
