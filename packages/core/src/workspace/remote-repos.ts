import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, realpath, rename, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { GitError, InvalidInput } from '../errors/berth-error.js';
import { KeyedLock } from '../session/keyed-lock.js';
import { FETCH_ONLY_REFS, git, NO_GLOBAL_CONFIG } from './host-git.js';
import type { RepoInfo } from './repo-inspection.js';
import { sshCommand, withKeyFile } from './ssh-key.js';

/**
 * Only these transports ever run, whatever the URL or the host's config says: no `ext::` (runs a
 * command), no `fd::`, no git://, no plain http.
 */
const PROTOCOL_CONFIG = [
  '-c',
  'protocol.allow=never',
  '-c',
  'protocol.file.allow=always',
  '-c',
  'protocol.https.allow=always',
  '-c',
  'protocol.ssh.allow=always',
  // The host's credential helpers belong to the host's user, not to a session (the global config
  // is not read at all, see NO_GLOBAL_CONFIG; this also covers the remote cache's own config).
  '-c',
  'credential.helper=',
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'transfer.fsckObjects=true',
  '-c',
  'core.askPass=',
];

const URL_HINT =
  'pass a local path, or a URL such as https://host/org/repo.git, ssh://git@host/org/repo.git, git@host:org/repo.git';

/** A remote as berth keeps it: the URL to hand git (never with a password) and the cache key. */
export interface RemoteUrl {
  url: string;
  kind: 'https' | 'ssh' | 'file';
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f-\u009f]/;
const SCHEME_RE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const TRANSPORT_RE = /^([A-Za-z][A-Za-z0-9+.-]*)::/;
const SCP_RE = /^(?:([A-Za-z0-9._-]+)@)?([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\]):(.+)$/;

/**
 * Says whether `input` names a remote (and which), or returns null for a local path. Refuses
 * transports berth does not run and URLs that carry a password or token.
 */
export function parseRemote(input: string): RemoteUrl | null {
  if (typeof input !== 'string') return null;
  const transport = TRANSPORT_RE.exec(input);
  if (transport) {
    throw new InvalidInput(`the ${transport[1]}:: transport is not allowed`, { hint: URL_HINT });
  }
  const scheme = SCHEME_RE.exec(input);
  if (scheme) return parseUrl(input, scheme[1]!.toLowerCase());
  const scp = SCP_RE.exec(input);
  // git's own rule: a colon before any slash makes it host:path, not a local path.
  if (scp && !input.slice(0, input.indexOf(':')).includes('/')) {
    const [, user, host, path] = scp as unknown as [string, string | undefined, string, string];
    if (CONTROL_OR_SPACE.test(input) || path.startsWith('-')) {
      throw new InvalidInput('that repository address is not a URL berth accepts', { hint: URL_HINT });
    }
    return { url: `${user ? `${user}@` : ''}${host}:${path}`, kind: 'ssh' };
  }
  return null;
}

function parseUrl(input: string, scheme: string): RemoteUrl {
  if (scheme !== 'https' && scheme !== 'ssh' && scheme !== 'file') {
    throw new InvalidInput(`${scheme}:// repositories are not supported`, {
      hint: `${URL_HINT} (or file:///path)`,
    });
  }
  if (CONTROL_OR_SPACE.test(input)) {
    throw new InvalidInput('a repository URL may not hold spaces or control characters', { hint: URL_HINT });
  }
  let u: URL;
  try {
    u = new URL(input);
  } catch {
    throw new InvalidInput('that repository URL cannot be parsed', { hint: URL_HINT });
  }
  if (u.password) {
    throw new InvalidInput('a repository URL may not carry a password', {
      hint: 'leave credentials out of the URL: give the session an SSH key (--ssh-key) and an ssh:// URL',
    });
  }
  if (u.username && scheme === 'https') {
    throw new InvalidInput('an https repository URL may not carry a user name or token', {
      hint: 'leave credentials out of the URL: give the session an SSH key (--ssh-key) and an ssh:// URL',
    });
  }
  if (u.search || u.hash) {
    throw new InvalidInput('a repository URL may not have a query or fragment', { hint: URL_HINT });
  }
  if (scheme === 'file') {
    if (u.host !== '' && u.host !== 'localhost') {
      throw new InvalidInput('a file:// URL names a path on this host: file:///path/to/repo.git');
    }
    return { url: `file://${u.pathname}`, kind: 'file' };
  }
  if (u.hostname === '' || u.hostname.startsWith('-')) {
    throw new InvalidInput('that repository URL has no valid host', { hint: URL_HINT });
  }
  if (u.pathname === '' || u.pathname === '/') {
    throw new InvalidInput('that repository URL names no repository', { hint: URL_HINT });
  }
  const user = u.username ? `${u.username}@` : '';
  return { url: `${scheme}://${user}${u.host}${u.pathname}`, kind: scheme };
}

/** Strips any credentials from text about a URL (error messages from git quote it back). */
function scrub(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1');
}

/** The scope of sessions made with no owner (the host's own user, over the local socket). */
const HOST_SCOPE = 'host';

/** Whose remote cache a session uses: its team's, else its owner's, else the host user's. */
export function cacheScopeOf(who: { ownerId?: string | null; teamId?: string | null }): string {
  if (who.teamId) return `team:${who.teamId}`;
  if (who.ownerId) return `user:${who.ownerId}`;
  return HOST_SCOPE;
}

/**
 * Bare caches of remote repositories under BERTH_HOME/repos, one per URL, cloned once and fetched
 * before every new session. Sessions borrow a cache's objects exactly as they borrow a local repo's;
 * their branches live in the cache. Every network call uses only the key it is given (or none).
 */
export class RemoteRepos {
  private readonly locks = new KeyedLock();

  /**
   * `forbiddenDirs`: where a file:// remote may never point (BERTH_HOME: sessions' working copies,
   * which a session can write, and the caches themselves); the host's git never reads those.
   */
  constructor(
    private readonly opts: { reposDir: string; knownHostsFile: string; forbiddenDirs?: string[] },
  ) {}

  get reposDir(): string {
    return this.opts.reposDir;
  }

  cachePath(remote: RemoteUrl, scope: string = HOST_SCOPE): string {
    const digest = createHash('sha256')
      .update(scope === HOST_SCOPE ? remote.url : `${scope}\n${remote.url}`)
      .digest('hex');
    return join(this.opts.reposDir, `${digest}.git`);
  }

  /**
   * Clones the remote on first use, fetches it otherwise; returns the cache as a repository.
   * `scope` (cacheScopeOf) picks whose cache: sessions' snapshots land in it, and every session
   * on it mounts its objects, so one team never shares a cache with another.
   */
  async prepare(
    remote: RemoteUrl,
    key: string | null,
    progress: (step: string) => void,
    scope: string = HOST_SCOPE,
  ): Promise<RepoInfo> {
    if (remote.kind === 'file') await this.assertReadableHere(remote);
    const cache = this.cachePath(remote, scope);
    return this.locks.run(cache, async () => {
      const exists = await stat(join(cache, 'HEAD')).then(
        () => true,
        () => false,
      );
      if (exists) {
        progress(`fetching ${remote.url}`);
        await this.fetch(cache, remote, key);
      } else {
        progress(`cloning ${remote.url}`);
        await this.clone(cache, remote, key);
      }
      const real = await realpath(cache);
      const st = await stat(real);
      return {
        root: real,
        objectsDir: await realpath(join(real, 'objects')),
        ownerUid: st.uid,
        ownerGid: st.gid,
      };
    });
  }

  private async assertReadableHere(remote: RemoteUrl): Promise<void> {
    let path = decodeURIComponent(remote.url.slice('file://'.length));
    path = await realpath(path).catch(() => path);
    for (const dir of this.opts.forbiddenDirs ?? []) {
      const rel = relative(await realpath(dir).catch(() => dir), path);
      if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) {
        throw new InvalidInput(`${remote.url} lies inside berth's own directory, which sessions can write`, {
          hint: 'pass the URL or path of your own repository',
        });
      }
    }
  }

  private async clone(cache: string, remote: RemoteUrl, key: string | null): Promise<void> {
    await mkdir(this.opts.reposDir, { recursive: true, mode: 0o700 });
    // Cloned beside the cache and moved in whole: a failed first clone leaves nothing behind.
    const tmp = await mkdtemp(join(this.opts.reposDir, '.clone-'));
    try {
      const target = join(tmp, 'repo.git');
      await this.remoteGit(tmp, key, remote, 'clone', [
        'clone',
        '--bare',
        '--quiet',
        '--no-tags',
        '--template=',
        '--end-of-options',
        remote.url,
        target,
      ]);
      await rename(target, cache);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  private async fetch(cache: string, remote: RemoteUrl, key: string | null): Promise<void> {
    // The remote's branches, as they are there; berth's own session branches are never overwritten.
    await this.remoteGit(cache, key, remote, 'fetch', [
      'fetch',
      ...FETCH_ONLY_REFS,
      '--end-of-options',
      remote.url,
      '+refs/heads/*:refs/heads/*',
      '^refs/heads/berth/*',
    ]);
  }

  /** Pushes `refspecs` from the cache to the remote in one atomic push, hooks off. */
  async push(cache: string, remote: RemoteUrl, key: string | null, refspecs: string[]): Promise<void> {
    await this.locks.run(cache, () =>
      this.remoteGit(cache, key, remote, 'push', [
        'push',
        '--quiet',
        '--no-verify',
        '--atomic',
        '--no-recurse-submodules',
        '--end-of-options',
        remote.url,
        ...refspecs,
      ]),
    );
  }

  private async remoteGit(
    cwd: string,
    key: string | null,
    remote: RemoteUrl,
    verb: 'clone' | 'fetch' | 'push',
    args: string[],
  ): Promise<void> {
    await withKeyFile(key, async (keyFile) => {
      try {
        await git(cwd, [...PROTOCOL_CONFIG, ...args], {
          // Proxies and CA files come from the environment (hostGitEnv keeps those variables).
          env: { ...NO_GLOBAL_CONFIG, GIT_SSH_COMMAND: sshCommand(keyFile, this.opts.knownHostsFile) },
        });
      } catch (err) {
        const why = scrub((err as Error).message.replace(/^git \w+ failed: /, ''));
        throw new GitError(`could not ${verb} ${remote.url}: ${why}`, {
          hint:
            remote.kind === 'ssh'
              ? 'check the URL, that the host is reachable and that the session’s SSH key (--ssh-key) may read it (and write, for --push)'
              : 'check the URL and that the repository exists and is readable (writable, for --push)',
        });
      }
    });
  }
}
