import { createHash } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { Conflict, InvalidInput } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import type { Secrets } from '../secrets/secrets.js';
import { ENV_NAME_RE } from './agent-profile.js';
import { type CredentialOwner, credentialScope, HOST_OWNER, parseOwner } from './credential-owner.js';

/** A credential directory's tar may hold at most this many bytes of files. */
export const MAX_CREDENTIAL_DIR_BYTES = 10 * 1024 * 1024;
const MAX_ENTRIES = 10_000;
const MAX_KEY_BYTES = 64 * 1024;
const DIR_SECRET = 'dir';
const KEY_PREFIX = 'key:';
/** Session ids are UUIDs: the only names berth ever makes (and so ever removes) in the root. */
const SESSION_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Under BERTH_HOME: the root berth moved to when the usual one was taken (claimCredentialsRoot). */
const RECORDED_ROOT_FILE = 'credentials-root';

export interface CredentialStatus {
  dir: { files: number; bytes: number; updatedAt: string } | null;
  keys: Array<{ name: string; bytes: number; updatedAt: string }>;
}

export interface TarEntry {
  /** Relative, normalised, never `..` or absolute. */
  name: string;
  type: 'file' | 'directory';
  mode: number;
  body: Buffer;
}

/** In a session's entry on the host, beside (never in) its mounts: whose credentials it was given. */
const OWNER_FILE = 'owner.json';

/** Reads a credential tar, refusing anything but plain files and directories under its root. */
export async function readCredentialTar(tar: Buffer): Promise<TarEntry[]> {
  const extract = tarStream.extract();
  const entries: TarEntry[] = [];
  let bytes = 0;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (chunk: unknown) => {
        const d = chunk as Buffer;
        bytes += d.length;
        if (bytes > MAX_CREDENTIAL_DIR_BYTES) {
          reject(
            new InvalidInput('the credential directory is over 10 MiB', {
              hint: 'copy only what the agent needs (the credential files, not its history or caches)',
            }),
          );
          stream.destroy();
          return;
        }
        parts.push(d);
      });
      stream.on('end', () => {
        const raw = header.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
        const name = posix.normalize(raw);
        if (
          raw !== '' &&
          (name.startsWith('/') || name === '..' || name.startsWith('../') || name.includes('\0'))
        ) {
          reject(
            new InvalidInput(`the credential archive names a path outside itself: ${raw.slice(0, 100)}`),
          );
          return;
        }
        if (header.type !== 'file' && header.type !== 'directory') {
          reject(
            new InvalidInput(
              `the credential archive holds a ${header.type ?? 'special'} entry (${raw.slice(0, 100)}): only files and directories are taken`,
            ),
          );
          return;
        }
        if (entries.length >= MAX_ENTRIES) {
          reject(new InvalidInput('the credential directory has over 10,000 entries'));
          return;
        }
        if (raw !== '' && name !== '.') {
          entries.push({ name, type: header.type, mode: header.mode ?? 0o600, body: Buffer.concat(parts) });
        }
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', (err: Error) =>
      reject(new InvalidInput(`the credential archive is not a valid tar: ${err.message}`)),
    );
  });
  Readable.from([tar]).pipe(extract);
  await done;
  return entries;
}

/**
 * Where a session's credentials are put on the host: a tmpfs (/dev/shm, else $XDG_RUNTIME_DIR) so
 * they never touch a disk; under BERTH_HOME only when neither is usable.
 */
export function defaultCredentialsRoot(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const tag = createHash('sha256').update(home).digest('hex').slice(0, 12);
  for (const base of ['/dev/shm', env.XDG_RUNTIME_DIR]) {
    if (!base) continue;
    try {
      if (!statSync(base).isDirectory()) continue;
      accessSync(base, constants.W_OK | constants.X_OK);
      return join(base, `berth-${tag}`);
    } catch {
      // not usable: try the next
    }
  }
  return join(home, 'run', 'credentials');
}

/**
 * Makes `dir` (0700) unless it exists, then requires it to be a real directory, not a symlink,
 * owned by the daemon's user, and sets its mode to 0700. The default root's name is predictable
 * and /dev/shm is shared: another local user could have made it first, or made it a symlink so
 * that berth writes credentials into, or sweeps, a directory of theirs choosing.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const problem = await privateDirProblem(dir);
  if (problem) {
    throw new Conflict(`${dir} cannot hold sessions' credentials: ${problem}`, {
      hint: `another local user may have made it: see who owns it (ls -ld ${dir}), remove it if it is not yours, then restart the berth daemon, which claims a private directory of its own`,
    });
  }
  // Not a link (checked just above), and /dev/shm is sticky: nobody else can swap it for one now.
  await chmod(dir, 0o700);
}

/** Whether `dir` is, or could be made, a private directory of the daemon's. */
async function isPrivateDir(dir: string): Promise<boolean> {
  return ensurePrivateDir(dir).then(
    () => true,
    () => false,
  );
}

/** What makes `dir` unfit for credentials, or null when it is a real directory of the daemon's. */
async function privateDirProblem(dir: string): Promise<string | null> {
  const st = await lstat(dir).catch(() => null);
  if (!st) return 'it does not exist';
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    return `it belongs to uid ${st.uid}, not to the daemon's uid ${uid}`;
  return null;
}

/**
 * The credentials root for this berth home: the usual one (defaultCredentialsRoot) when it is, or
 * can be made, a private directory of the daemon's; else the fresh random-named one a previous
 * start recorded under BERTH_HOME; else a new one of those, recorded. Never a directory someone
 * else made, so nobody can stop berth by squatting the predictable name.
 */
export async function claimCredentialsRoot(
  home: string,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const usual = defaultCredentialsRoot(home, env);
  try {
    await ensurePrivateDir(usual);
    return usual;
  } catch (err) {
    logger.warn(
      { err, root: usual },
      'the usual credentials directory is taken; using a private one instead',
    );
  }
  const record = join(home, RECORDED_ROOT_FILE);
  const recorded = (await readFile(record, 'utf8').catch(() => '')).trim();
  const isOurs = dirname(recorded) === dirname(usual) && basename(recorded).startsWith(`${basename(usual)}-`);
  if (isOurs && (await isPrivateDir(recorded))) return recorded;
  // mkdtemp makes a new 0700 directory under a name nobody could have guessed and taken first.
  const fresh = await mkdtemp(`${usual}-`);
  await writeFile(record, `${fresh}\n`, { mode: 0o600 });
  return fresh;
}

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
    const entries = (await this.dirEntries(profile, owner)) ?? [];
    const pack = tarStream.pack();
    for (const e of entries) {
      if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: e.mode });
      else pack.entry({ name: e.name, mode: e.mode }, e.name === name ? body : e.body);
    }
    if (!entries.some((e) => e.name === name)) pack.entry({ name, mode: 0o600 }, body);
    pack.finalize();
    const parts: Buffer[] = [];
    for await (const c of pack) parts.push(c as Buffer);
    try {
      await this.deps.secrets.put(credentialScope(profile, owner), DIR_SECRET, Buffer.concat(parts));
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
