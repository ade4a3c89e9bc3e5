import { chmod, chown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvalidInput } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import type { Secrets } from '../secrets/secrets.js';
import { ENV_NAME_RE } from './agent-profile.js';
import { type CredentialOwner, credentialScope, HOST_OWNER, parseOwner } from './credential-owner.js';
import { packCredentialTar, readCredentialTar, type TarEntry } from './credential-tar.js';
import { ensurePrivateDir, privateDirProblem, SESSION_ID_RE } from './credentials-root.js';

const MAX_KEY_BYTES = 64 * 1024;
const DIR_SECRET = 'dir';
const KEY_PREFIX = 'key:';

export interface CredentialStatus {
  dir: { files: number; bytes: number; updatedAt: string } | null;
  keys: Array<{ name: string; bytes: number; updatedAt: string }>;
}

/** In a session's entry on the host, beside (never in) its mounts: whose credentials it was given. */
const OWNER_FILE = 'owner.json';

/**
 * Agent credentials: sealed in the store by profile and owner (credentialScope: the host's
 * `agent:<profile>`, a user's or a team's), and for a live session
 * written to a 0700 directory on a host tmpfs that is bind-mounted read-only.
 *
 * Why files on a tmpfs: an environment variable would show in `docker inspect` and in every
 * child's /proc/PID/environ; a file baked into the image would stay in a layer; a `docker cp`
 * into the container's filesystem would land on the engine's disk. A read-only bind of a tmpfs
 * directory keeps the value in memory, out of the engine's config, and gone when the session
 * ends. API keys are files too: the launcher exports them into the agent's environment only.
 */
export class AgentCredentials {
  private readonly listeners = new Set<() => void>();

  constructor(private readonly deps: { secrets: Secrets; root: string; logger: Logger }) {}

  /**
   * Hears of every change this makes, once it is made (or failed half-way): an owner's credentials
   * set or removed, a refreshed login kept, a session's put on the host or taken off. The key
   * broker's cache (BrokerResolution) drops what it holds. Returns the function that unsubscribes.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  get root(): string {
    return this.deps.root;
  }

  /** The host directories a session's mounts come from. */
  paths(sessionId: string): { base: string; dir: string; keys: string } {
    const base = join(this.deps.root, sessionId);
    return { base, dir: join(base, 'dir'), keys: join(base, 'keys') };
  }

  async status(profile: string, owner: CredentialOwner = HOST_OWNER): Promise<CredentialStatus> {
    const scope = credentialScope(profile, owner);
    const out: CredentialStatus = { dir: null, keys: [] };
    for (const s of await this.deps.secrets.list(scope)) {
      const value = await this.deps.secrets.get(scope, s.name);
      if (!value) continue;
      if (s.name === DIR_SECRET) {
        const entries = await readCredentialTar(value);
        const files = entries.filter((e) => e.type === 'file');
        out.dir = {
          files: files.length,
          bytes: files.reduce((a, e) => a + e.body.length, 0),
          updatedAt: s.createdAt,
        };
      } else if (s.name.startsWith(KEY_PREFIX)) {
        out.keys.push({ name: s.name.slice(KEY_PREFIX.length), bytes: value.length, updatedAt: s.createdAt });
      }
    }
    out.keys.sort((a, b) => a.name.localeCompare(b.name));
    return out;
  }

  async hasDir(profile: string, owner: CredentialOwner = HOST_OWNER): Promise<boolean> {
    return (await this.deps.secrets.list(credentialScope(profile, owner))).some((s) => s.name === DIR_SECRET);
  }

  /**
   * Whose credentials a session with this chain (ownerChain) uses for the profile: the first
   * owner that has any set up, else the last (its owner's own, where none are set up yet).
   */
  async resolve(profile: string, chain: readonly CredentialOwner[]): Promise<CredentialOwner> {
    for (const owner of chain) {
      if ((await this.deps.secrets.list(credentialScope(profile, owner))).length > 0) return owner;
    }
    return chain.at(-1) ?? HOST_OWNER;
  }

  /** Whose credentials the session was last given (materialise); null when it has none on the host. */
  async ownerOf(sessionId: string): Promise<CredentialOwner | null> {
    if (!SESSION_ID_RE.test(sessionId)) return null;
    const raw = await readFile(join(this.paths(sessionId).base, OWNER_FILE), 'utf8').catch(() => null);
    return raw === null ? null : parseOwner(raw);
  }

  /** Sets the directory (a tar) and/or keys; what is not given is kept. Validates before it stores. */
  async put(
    profile: string,
    input: { dir?: Buffer; keys?: Record<string, string> },
    owner: CredentialOwner = HOST_OWNER,
  ): Promise<void> {
    const keys = Object.entries(input.keys ?? {});
    for (const [name, value] of keys) {
      if (!ENV_NAME_RE.test(name))
        throw new InvalidInput(`${JSON.stringify(name.slice(0, 60))} is not a key name`);
      if (
        typeof value !== 'string' ||
        value === '' ||
        value.includes('\0') ||
        Buffer.byteLength(value) > MAX_KEY_BYTES
      ) {
        throw new InvalidInput(`the value of ${name} is empty, over 64 KiB, or holds a NUL`);
      }
    }
    if (input.dir === undefined && keys.length === 0) {
      throw new InvalidInput('nothing to set: give a credential directory or an API key', {
        hint: 'e.g. `berth auth setup claude` (copies ~/.claude) or `--key ANTHROPIC_API_KEY`',
      });
    }
    if (input.dir !== undefined) await readCredentialTar(input.dir);
    const scope = credentialScope(profile, owner);
    try {
      if (input.dir !== undefined) await this.deps.secrets.put(scope, DIR_SECRET, input.dir);
      for (const [name, value] of keys) await this.deps.secrets.put(scope, `${KEY_PREFIX}${name}`, value);
    } finally {
      this.changed();
    }
    this.deps.logger.info(
      { profile, owner, dir: input.dir !== undefined, keyNames: keys.map(([n]) => n) },
      'agent credentials set',
    );
  }

  /** Removes every credential of the profile, or one (`dir` or a key's name). */
  async delete(profile: string, what?: string, owner: CredentialOwner = HOST_OWNER): Promise<void> {
    const scope = credentialScope(profile, owner);
    try {
      if (what === undefined) await this.deps.secrets.delete(scope);
      else await this.deps.secrets.delete(scope, what === DIR_SECRET ? DIR_SECRET : `${KEY_PREFIX}${what}`);
    } finally {
      this.changed();
    }
  }

  /**
   * Writes the owner's credentials of the profile for one session: `dir/` and `keys/`, read-only, owned by the
   * session's user where the daemon may chown (else world-readable inside a 0700 parent that only
   * the daemon's user can enter on the host). Idempotent: it starts from an empty directory.
   */
  async materialise(
    sessionId: string,
    profile: string,
    uid: number,
    gid: number,
    /** Keys the session gets a placeholder of instead (the key broker's): name → placeholder. */
    placeholders: Record<string, string> = {},
    owner: CredentialOwner = HOST_OWNER,
  ): Promise<void> {
    if (!SESSION_ID_RE.test(sessionId)) throw new InvalidInput(`${sessionId} is not a session id`);
    try {
      await this.writeSession(sessionId, profile, uid, gid, placeholders, owner);
    } finally {
      // The owner it records is whose keys the broker spends for the session.
      this.changed();
    }
  }

  private async writeSession(
    sessionId: string,
    profile: string,
    uid: number,
    gid: number,
    placeholders: Record<string, string>,
    owner: CredentialOwner,
  ): Promise<void> {
    const p = this.paths(sessionId);
    await ensurePrivateDir(this.deps.root);
    // Only what this writes: a login the agent refreshed beside them (credential-refresh) stays.
    await rm(p.dir, { recursive: true, force: true });
    await rm(p.keys, { recursive: true, force: true });
    await mkdir(p.base, { recursive: true, mode: 0o700 });
    await mkdir(p.dir, { mode: 0o700 });
    await mkdir(p.keys, { mode: 0o700 });
    // Not mounted: the refresh write-back and the key broker read whose credentials these are.
    await writeFile(join(p.base, OWNER_FILE), JSON.stringify(owner), { mode: 0o600 });
    const scope = credentialScope(profile, owner);
    for (const s of await this.deps.secrets.list(scope)) {
      const value = await this.deps.secrets.get(scope, s.name);
      if (!value) continue;
      if (s.name === DIR_SECRET) {
        for (const e of await readCredentialTar(value)) {
          const target = join(p.dir, e.name);
          if (e.type === 'directory') {
            await mkdir(target, { recursive: true, mode: 0o700 });
          } else {
            await mkdir(dirname(target), { recursive: true, mode: 0o700 });
            await writeFile(target, e.body, { mode: 0o600 });
          }
        }
      } else if (s.name.startsWith(KEY_PREFIX)) {
        const name = s.name.slice(KEY_PREFIX.length);
        if (!ENV_NAME_RE.test(name)) continue;
        const target = join(p.keys, name);
        await writeFile(target, Object.hasOwn(placeholders, name) ? placeholders[name]! : value, {
          mode: 0o600,
        });
      }
    }
    // Ownership and modes last, over the whole tree (directories made by mkdir -p included).
    const all = [
      ...(await walk(p.dir)),
      ...(await walk(p.keys)),
      { path: p.dir, dir: true },
      { path: p.keys, dir: true },
    ];
    let owned = true;
    for (const f of all) {
      try {
        await chown(f.path, uid, gid);
      } catch {
        owned = false;
        break;
      }
    }
    for (const f of all) await chmod(f.path, f.dir ? (owned ? 0o500 : 0o555) : owned ? 0o400 : 0o444);
  }

  /** One API key's value (for the key broker, which puts it into requests upstream); null when unset. */
  async key(profile: string, name: string, owner: CredentialOwner = HOST_OWNER): Promise<string | null> {
    const value = await this.deps.secrets.get(credentialScope(profile, owner), `${KEY_PREFIX}${name}`);
    return value ? value.toString('utf8') : null;
  }

  /** The files of the profile's sealed credential directory; null without one. */
  async dirEntries(profile: string, owner: CredentialOwner = HOST_OWNER): Promise<TarEntry[] | null> {
    const value = await this.deps.secrets.get(credentialScope(profile, owner), DIR_SECRET);
    return value ? readCredentialTar(value) : null;
  }

  /** Puts one file of the sealed credential directory anew (a login its agent refreshed). */
  async replaceDirFile(
    profile: string,
    name: string,
    body: Buffer,
    owner: CredentialOwner = HOST_OWNER,
  ): Promise<void> {
    const tar = await packCredentialTar((await this.dirEntries(profile, owner)) ?? [], name, body);
    try {
      await this.deps.secrets.put(credentialScope(profile, owner), DIR_SECRET, tar);
    } finally {
      this.changed();
    }
    this.deps.logger.info({ profile, owner, file: name }, 'a refreshed agent login was kept');
  }

  /**
   * Removes a session's credentials from the host: only ever a session's own entry, and only while
   * the root is still the daemon's own directory (never through a symlink put in its place).
   */
  async release(sessionId: string): Promise<void> {
    if (!SESSION_ID_RE.test(sessionId) || (await privateDirProblem(this.deps.root))) return;
    try {
      await rm(this.paths(sessionId).base, { recursive: true, force: true });
    } finally {
      this.changed();
    }
  }

  /**
   * Session ids that have credentials on the host (for the reconciler's sweep): entries named as a
   * session, in a root that is the daemon's own. Anything else there is not berth's to remove.
   */
  async materialised(): Promise<string[]> {
    if (await privateDirProblem(this.deps.root)) return [];
    const names = await readdir(this.deps.root).catch(() => []);
    return names.filter((name) => SESSION_ID_RE.test(name));
  }
}

async function walk(dir: string): Promise<Array<{ path: string; dir: boolean }>> {
  const out: Array<{ path: string; dir: boolean }> = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(path)), { path, dir: true });
    else if (e.isFile()) out.push({ path, dir: false });
  }
  return out;
}
