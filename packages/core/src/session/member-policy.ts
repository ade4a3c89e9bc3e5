import type { AgentCatalogue } from '../agents/agent-profile.js';
import { DEFAULT_IMAGE } from '../config/config.js';
import type { MemberPolicy } from '../config/member-policy.js';
import { Forbidden } from '../errors/berth-error.js';
import type { SessionLimits } from './session.js';

/**
 * The operator's bounds on what a member asks of the host, checked before a create or an update
 * reaches the service (which admins use unbounded): a member's session cannot take the host's
 * memory, CPUs or process table from the others, nor run an image the operator did not offer.
 */

const ASK = 'ask an admin of this berth server to raise it, or to make the change for you';

const gib = (b: number) => `${Number((b / 1024 ** 3).toFixed(2))}g`;

const CEILINGS: Array<{ key: keyof SessionLimits; env: string; show: (n: number) => string; what: string }> =
  [
    { key: 'cpus', env: 'BERTH_MAX_SESSION_CPUS', show: String, what: 'CPUs' },
    { key: 'memoryBytes', env: 'BERTH_MAX_SESSION_MEMORY', show: gib, what: 'memory' },
    { key: 'pids', env: 'BERTH_MAX_SESSION_PIDS', show: String, what: 'pids' },
  ];

/** Refuses limits a member asked for above the server's ceiling; what they left out is the operator's default. */
export function assertWithinCeilings(asked: Partial<SessionLimits>, policy: MemberPolicy): void {
  for (const c of CEILINGS) {
    const value = asked[c.key];
    const ceiling = policy.memberCeilings[c.key];
    if (typeof value !== 'number' || value <= ceiling) continue;
    throw new Forbidden(
      `${c.what} ${c.show(value)} is above this server's ceiling for a member's session, ${c.show(ceiling)} (${c.env})`,
      { hint: `ask for at most ${c.show(ceiling)}, or ${ASK}` },
    );
  }
}

/** The images a member may name: BERTH_MEMBER_IMAGES, else berth's own and those the agent profiles name. */
export function memberImages(
  config: MemberPolicy & { defaultImage: string },
  agents: AgentCatalogue,
): string[] {
  if (config.memberImages) return config.memberImages;
  const profiles = agents.profiles.flatMap((p) => (p.image ? [p.image] : []));
  return [...new Set([DEFAULT_IMAGE, config.defaultImage, ...profiles])];
}

/** Refuses an image a member named that is not on the list; leaving it out takes the default. */
export function assertMemberImage(image: string | undefined, allowed: string[]): void {
  if (image === undefined || allowed.includes(image)) return;
  throw new Forbidden(`image ${image.slice(0, 200)} is not one this server offers to members`, {
    hint: `leave out the image, or use one of ${allowed.join(', ')} (BERTH_MEMBER_IMAGES); else ${ASK}`,
  });
}
