/**
 * Reading the user's repository before a session is made from it: which repository a path names
 * (its real top level and object store, never a session's working copy or anything else under
 * BERTH_HOME bar berth's own caches of remotes), the base branch and commit a session starts
 * from, and whether the session's branch name is free. The host's git runs in the user's repo
 * only, read-only here; GitWorkspaces delegates to these.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Conflict, InvalidInput } from '../errors/berth-error.js';
import { git, gitStatus } from './host-git.js';

export interface RepoInfo {
  /** Absolute, symlink-free top level of the working tree. */
  root: string;
  /** The repository's object store, mounted read-only into sessions at the same path. */
  objectsDir: string;
  ownerUid: number;
  ownerGid: number;
}

/** The directories that decide which repositories may be taken (GitWorkspaces' options). */
export interface RepoDirs {
  /** Sessions' working copies: never a repository berth reads. */
  workspacesDir: string;
  /** berth's bare caches of remote repositories (remote-repos.ts). */
  reposDir?: string;
  /** No repository whose files lie under it is taken, bar the caches in `reposDir`. */
  berthHome?: string;
}

const SHA_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
export function isSha(value: string): boolean {
  return SHA_RE.test(value);
}

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** A directory's real path, or the path as given while it does not exist. */
async function realDir(path: string): Promise<string> {
  return realpath(path).catch(() => resolve(path));
}

/** berth's bare caches of remotes are named by the sha256 of their URL (remote-repos.ts). */
const CACHE_NAME_RE = /^[0-9a-f]{64}\.git$/;

const OWN_REPO_HINT = 'pass the path of your own repository';

export async function inspectRepo(dirs: RepoDirs, path: string): Promise<RepoInfo> {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new InvalidInput('a repository path is required', { hint: 'pass --repo /path/to/a/git/repo' });
  }
  // A relative path would be read from the daemon's working directory, not the caller's.
  if (!isAbsolute(path)) {
    throw new InvalidInput(`repository path ${JSON.stringify(path.slice(0, 200))} is relative`, {
      hint: 'pass an absolute path (the berth CLI resolves `--repo .` against your directory for you)',
    });
  }
  let real: string;
  try {
    real = await realpath(resolve(path));
  } catch {
    throw new InvalidInput(`repository path ${path} does not exist`, {
      hint: 'pass the path of a git repository',
    });
  }
  // Real paths on both sides: a BERTH_HOME reached through a symlink must not hide a working copy.
  if (isInside(real, await realDir(dirs.workspacesDir))) {
    throw new InvalidInput(`${path} is a berth session's working copy, not a repository berth may read`, {
      hint: OWN_REPO_HINT,
    });
  }
  const st = await stat(real);
  if (!st.isDirectory()) throw new InvalidInput(`repository path ${path} is not a directory`);
  if (await isRemoteCache(dirs, real)) {
    // One of berth's own bare caches of a remote: its git directory is its root.
    const bare = await git(real, ['rev-parse', '--is-bare-repository']).catch(() => null);
    if (bare?.stdout.trim() !== 'true') throw new InvalidInput(`${path} is not a berth repository cache`);
    return {
      root: real,
      objectsDir: await realpath(join(real, 'objects')),
      ownerUid: st.uid,
      ownerGid: st.gid,
    };
  }
  await assertOutsideHome(dirs, real, path);
  const probe = await git(real, ['rev-parse', '--show-toplevel', '--git-common-dir']).catch(() => null);
  if (!probe) {
    throw new InvalidInput(`${path} is not a git repository`, {
      hint: `run \`git init\` there and make a first commit, or pass another --repo`,
    });
  }
  const [top, common] = probe.stdout.trim().split('\n');
  if (!top || !common) throw new InvalidInput(`${path} is a bare repository; berth needs a working tree`);
  const root = await realpath(top);
  const commonDir = await realpath(resolve(real, common));
  // A `.git` file (or a worktree) elsewhere may lead git into a session's own git directory.
  await assertOutsideHome(dirs, root, path);
  await assertOutsideHome(dirs, commonDir, path);
  const objectsDir = await realpath(join(commonDir, 'objects'));
  const rootStat = await stat(root);
  return { root, objectsDir, ownerUid: rootStat.uid, ownerGid: rootStat.gid };
}

/** `real` is one of berth's caches of a remote: directly in `reposDir`, named as berth names them. */
async function isRemoteCache(dirs: RepoDirs, real: string): Promise<boolean> {
  if (!dirs.reposDir) return false;
  return dirname(real) === (await realDir(dirs.reposDir)) && CACHE_NAME_RE.test(basename(real));
}

/** Refuses a repository whose files (`real`, a real path) lie under BERTH_HOME. */
async function assertOutsideHome(dirs: RepoDirs, real: string, given: string): Promise<void> {
  if (!dirs.berthHome || !isInside(real, await realDir(dirs.berthHome))) return;
  throw new InvalidInput(
    `${given} is not a repository berth may read: its files lie inside berth's own directory, which sessions can write`,
    { hint: `${OWN_REPO_HINT}; a remote's cache is only ever used through its URL (--repo URL)` },
  );
}

/** The base branch (default: the repo's current branch) and the commit it points at. */
export async function resolveBase(
  repo: RepoInfo,
  branch?: string,
): Promise<{ branch: string; commit: string }> {
  let name = branch;
  if (name === undefined || name === '') {
    const head = await git(repo.root, ['symbolic-ref', '--quiet', '--short', 'HEAD']).catch(() => null);
    name = head?.stdout.trim() || 'HEAD';
  } else if (
    (await gitStatus(repo.root, ['check-ref-format', '--branch', name])) !== 0 ||
    name.startsWith('-')
  ) {
    throw new InvalidInput(`${JSON.stringify(name)} is not a valid branch name`);
  }
  const ref = name === 'HEAD' ? 'HEAD' : `refs/heads/${name}`;
  const rev = await git(repo.root, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${ref}^{commit}`,
  ]).catch(() => null);
  const commit = rev?.stdout.trim() ?? '';
  if (!isSha(commit)) {
    throw new InvalidInput(
      name === 'HEAD' ? `${repo.root} has no commits yet` : `branch ${name} does not exist in ${repo.root}`,
      { hint: name === 'HEAD' ? 'make a first commit' : 'pass an existing branch with --branch' },
    );
  }
  return { branch: name, commit };
}

export async function assertBranchFree(repo: RepoInfo, branch: string): Promise<void> {
  if ((await gitStatus(repo.root, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`])) === 0) {
    throw new Conflict(`branch ${branch} already exists in ${repo.root}`, {
      hint: `merge or delete it (\`git branch -D ${branch}\`), or choose another session name`,
    });
  }
}
