import { chmod, chown, mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import type { Mount } from '../runtime/runtime.js';
import type { AgentCredentials } from './agent-credentials.js';
import { REFRESH_DIR } from './agent-launcher.js';
import { type CredentialOwner, HOST_OWNER } from './credential-owner.js';
import { readUntrustedFile } from './untrusted-file.js';

const MAX_LOGIN_BYTES = 64 * 1024;

/**
 * Whether `next` is a login of the same kind as `sealed` that berth may keep for later sessions.
 * The agent can write anything there: only a JSON object is taken, with the fields its CLI keeps
 * a login in (Claude Code's `claudeAiOauth` tokens; Codex's `tokens`, for the same account).
 */
export function acceptableLogin(name: string, sealed: Buffer, next: Buffer): boolean {
  if (next.length === 0 || next.length > MAX_LOGIN_BYTES || next.equals(sealed)) return false;
  let before: unknown;
  let after: unknown;
  try {
    before = JSON.parse(sealed.toString('utf8'));
    after = JSON.parse(next.toString('utf8'));
  } catch {
    return false;
  }
  const obj = (v: unknown): Record<string, unknown> | null =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  const b = obj(before);
  const a = obj(after);
  if (!a || !b) return false;
  if (name === '.credentials.json') {
    const oauth = obj(a.claudeAiOauth);
    return !!oauth && typeof oauth.accessToken === 'string' && typeof oauth.refreshToken === 'string';
  }
  if (name === 'auth.json') {
    const tokens = obj(a.tokens);
    if (!tokens || typeof tokens.access_token !== 'string' || typeof tokens.refresh_token !== 'string') {
      return false;
    }
    // The same ChatGPT account as the login that was set up: never a login swapped in for another.
    const account = obj(b.tokens)?.account_id;
    return account === undefined || tokens.account_id === account;
  }
  return false;
}

/**
 * Logins an agent's CLI refreshes while it runs (Claude Code's ~/.claude/.credentials.json,
 * Codex's auth.json): each session gets a writable copy on the host's tmpfs, linked into the
 * agent's HOME by the launcher; what the CLI writes there is sealed again for the next session
 * (`harvest`), so a rotated refresh token is not lost with the container.
 */
export class CredentialRefresh {
  constructor(private readonly deps: { credentials: AgentCredentials; logger: Logger }) {}

  dirOf(sessionId: string): string {
    return join(this.deps.credentials.paths(sessionId).base, 'refresh');
  }

  /**
   * The session's writable copies of the profile's refreshable files (those it has sealed), owned
   * by the session's user; null when there are none. Kept as they are when already there (a
   * restart): the agent's refreshed login is the newer one.
   */
  async prepare(
    sessionId: string,
    profile: string,
    names: readonly string[],
    uid: number,
    gid: number,
    owner: CredentialOwner = HOST_OWNER,
  ): Promise<Mount | null> {
    if (names.length === 0) return null;
    const entries = (await this.deps.credentials.dirEntries(profile, owner)) ?? [];
    const files = entries.filter((e) => e.type === 'file' && names.includes(e.name));
    if (files.length === 0) return null;
    const dir = this.dirOf(sessionId);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    let owned = true;
    for (const f of files) {
      const path = join(dir, f.name);
      if ((await readUntrustedFile(path, MAX_LOGIN_BYTES)) !== null) continue;
      await rm(path, { recursive: true, force: true });
      await writeFile(path, f.body, { mode: 0o600 });
      owned =
        (await chown(path, uid, gid).then(
          () => true,
          () => false,
        )) && owned;
    }
    if (
      !(await chown(dir, uid, gid).then(
        () => true,
        () => false,
      ))
    )
      owned = false;
    // Not chown-able (a rootless daemon): writable by anyone, inside the 0700 root only the daemon enters.
    if (!owned) {
      await chmod(dir, 0o777);
      for (const f of files) await chmod(join(dir, f.name), 0o666).catch(() => {});
    }
    return { source: dir, target: REFRESH_DIR, readOnly: false };
  }

  /** Whether the session has copies of refreshable logins at all. */
  async has(sessionId: string): Promise<boolean> {
    return stat(this.dirOf(sessionId)).then(
      (st) => st.isDirectory(),
      () => false,
    );
  }

  /**
   * Seals what the agent refreshed, where it is a good login of the same kind, back with the owner
   * it came from (never another's); returns the names kept.
   */
  async harvest(
    sessionId: string,
    profile: string,
    names: readonly string[],
    owner: CredentialOwner = HOST_OWNER,
  ): Promise<string[]> {
    const kept: string[] = [];
    const copies = new Map<string, Buffer>();
    for (const name of names) {
      const now = await readUntrustedFile(join(this.dirOf(sessionId), name), MAX_LOGIN_BYTES);
      if (now) copies.set(name, now);
    }
    // No copy (most sessions): nothing to open of the sealed directory.
    if (copies.size === 0) return kept;
    const sealed = (await this.deps.credentials.dirEntries(profile, owner)) ?? [];
    for (const [name, now] of copies) {
      const before = sealed.find((e) => e.type === 'file' && e.name === name);
      if (!before || now.equals(before.body)) continue;
      if (!acceptableLogin(name, before.body, now)) {
        this.deps.logger.warn(
          { session: sessionId, profile, file: name },
          'a refreshed login was not kept: not a login of the same kind',
        );
        continue;
      }
      await this.deps.credentials.replaceDirFile(profile, name, now, owner);
      kept.push(name);
    }
    return kept;
  }
}
