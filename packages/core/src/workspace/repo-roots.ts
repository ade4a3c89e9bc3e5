import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Forbidden } from '../errors/berth-error.js';
import { git, NO_GLOBAL_CONFIG } from './host-git.js';
import { parseRemote } from './remote-repos.js';

/**
 * Which repositories on the host a member (a non-admin of a team server) may name: only those
 * under the operator's BERTH_REPO_ROOTS. Without it a member could name any path (or file:// URL)
 * the daemon user can read, and read and write that repository through a session. A network
 * remote (https, ssh) is not a host path and is not checked here.
 */

/** One answer for every refusal: missing, not a directory, not a repository or outside look alike. */
function refused(): Forbidden {
  return new Forbidden('that repository is not one this server lets members use', {
    hint: 'members may name local repositories under BERTH_REPO_ROOTS only, or a remote URL; ask an admin to add its directory to BERTH_REPO_ROOTS',
  });
}

function within(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/** The roots as real paths (a root that is a symlink counts where it leads); missing ones drop out. */
async function realRoots(roots: string[]): Promise<string[]> {
  const real = await Promise.all(roots.map((r) => realpath(r).catch(() => null)));
  return real.filter((r): r is string => r !== null);
}

/** Where the repository's objects and refs live (a worktree's or a `.git` file's target), as a real path. */
async function gitCommonDir(dir: string): Promise<string | null> {
  try {
    const { stdout } = await git(dir, ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
      env: NO_GLOBAL_CONFIG,
    });
    return await realpath(resolve(dir, stdout.trim()));
  } catch {
    return null;
  }
}

/** Whether a local path is a repository whose directory and git directory both lie under a root. */
async function isUnderRoots(path: string, roots: string[]): Promise<boolean> {
  if (!isAbsolute(path)) return false;
  const allowed = await realRoots(roots);
  const real = await realpath(path).catch(() => null);
  // The path itself first: no git runs in a directory outside the roots.
  if (real === null || !allowed.some((root) => within(real, root))) return false;
  const common = await gitCommonDir(real);
  return common !== null && allowed.some((root) => within(common, root));
}

/** Refuses a member's local repository (a path or a file:// URL) outside BERTH_REPO_ROOTS. */
export async function assertMemberRepo(repo: string, roots: string[]): Promise<void> {
  const remote = parseRemote(repo);
  if (remote && remote.kind !== 'file') return;
  let path = repo;
  if (remote) {
    try {
      path = fileURLToPath(remote.url);
    } catch {
      throw refused();
    }
  }
  if (!(await isUnderRoots(path, roots))) throw refused();
}
