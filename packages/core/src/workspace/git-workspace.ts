import { execFile } from 'node:child_process';
import { appendFile, chmod, lstat, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Conflict, GitError, InvalidInput } from '../errors/berth-error.js';
import { importBundle } from './bundle-import.js';
import { git, gitStatus, gitWithInput, NO_GLOBAL_CONFIG, stripControl } from './host-git.js';
import {
  assertBranchFree,
  inspectRepo,
  type RepoDirs,
  type RepoInfo,
  resolveBase,
} from './repo-inspection.js';
import type { WorkingCopies } from './working-copies.js';

const execFileP = promisify(execFile);

export interface WorkingCopySpec {
  sessionId: string;
  branch: string;
  repo: RepoInfo;
  baseCommit: string;
  path: string;
  uid: number;
  gid: number;
  gitUser: { name: string; email: string };
}

/** The refs berth keeps in the user's repo for one session: only ever under refs/berth/. */
export function sessionRefs(sessionId: string) {
  const prefix = `refs/berth/sessions/${sessionId}`;
  return { prefix, base: `${prefix}/base`, snapshot: `${prefix}/snapshot` };
}

/** Where a session sees the user's repository objects (read-only). */
export const CONTAINER_OBJECTS_DIR = '/berth/objects';

/** A git config value, quoted: berth's own strings, but never trusted to be plain. */
function quoteConfig(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\n\r\0]/g, ' ')}"`;
}

/**
 * The checkout of a session's tree (a remote's, which nobody here vouched for) runs no program the
 * tree can name: no lfs filter (its .gitattributes may say `filter=lfs`), no hook. With the global
 * config off too (NO_GLOBAL_CONFIG), no other driver the daemon's user set up is known at all.
 */
const UNTRUSTED_CHECKOUT_CONFIG = [
  '-c',
  'filter.lfs.smudge=',
  '-c',
  'filter.lfs.process=',
  '-c',
  'filter.lfs.required=false',
  '-c',
  'core.hooksPath=/dev/null',
];

/**
 * Makes and unmakes sessions' working copies (docs/security.md, "Git working copies"): a
 * `clone --shared` per session whose objects come read-only from the user's repo. The host's git
 * runs in the user's repo only, and in a clone only before its container starts.
 */
export class GitWorkspaces implements WorkingCopies {
  /**
   * `reposDir`: where berth keeps its bare caches of remote repositories (remote-repos.ts).
   * `berthHome`: no repository whose files lie under it is ever taken, bar the caches in
   * `reposDir`: what lives there is berth's, or a session's, never a user's repository.
   */
  constructor(private readonly opts: RepoDirs) {}

  /** The repository `path` names, if berth may take it (repo-inspection.ts). */
  inspectRepo(path: string): Promise<RepoInfo> {
    return inspectRepo(this.opts, path);
  }

  /** The base branch (default: the repo's current branch) and the commit it points at. */
  resolveBase(repo: RepoInfo, branch?: string): Promise<{ branch: string; commit: string }> {
    return resolveBase(repo, branch);
  }

  assertBranchFree(repo: RepoInfo, branch: string): Promise<void> {
    return assertBranchFree(repo, branch);
  }

  /**
   * Pins the base, creates the session branch in the user's repo, and makes the session's clone.
   * Undoes what it did if a step fails.
   */
  async create(spec: WorkingCopySpec): Promise<void> {
    const refs = sessionRefs(spec.sessionId);
    const branchRef = `refs/heads/${spec.branch}`;
    const undo: Array<() => Promise<unknown>> = [];
    try {
      // One transaction: pin the base and create the branch, never moving an existing one.
      await gitWithInput(
        spec.repo.root,
        ['update-ref', '--stdin'],
        Buffer.from(`create ${refs.base} ${spec.baseCommit}\ncreate ${branchRef} ${spec.baseCommit}\n`),
      ).catch(async (err) => {
        if ((await gitStatus(spec.repo.root, ['show-ref', '--verify', '--quiet', branchRef])) === 0) {
          throw new Conflict(`branch ${spec.branch} already exists in ${spec.repo.root}`, {
            hint: `merge or delete it (\`git branch -D ${spec.branch}\`), or choose another session name`,
            cause: err,
          });
        }
        throw err;
      });
      undo.push(() =>
        gitWithInput(
          spec.repo.root,
          ['update-ref', '--stdin'],
          Buffer.from(`delete ${refs.base}\ndelete ${branchRef} ${spec.baseCommit}\n`),
        ),
      );
      await mkdir(this.opts.workspacesDir, { recursive: true, mode: 0o700 });
      undo.push(() => removeTree(spec.path));
      // What `clone --shared` makes, without copying (then deleting) every remote branch: an
      // empty repository (no template hooks) that borrows the user's objects.
      await git(
        this.opts.workspacesDir,
        ['-c', 'init.defaultBranch=berth', 'init', '--quiet', '--template=', spec.path],
        { env: NO_GLOBAL_CONFIG },
      );
      await writeFile(join(spec.path, '.git', 'objects', 'info', 'alternates'), `${spec.repo.objectsDir}\n`);
      await appendFile(
        join(spec.path, '.git', 'config'),
        `[user]\n\tname = ${quoteConfig(spec.gitUser.name)}\n\temail = ${quoteConfig(spec.gitUser.email)}\n`,
      );
      await git(
        spec.path,
        [...UNTRUSTED_CHECKOUT_CONFIG, 'checkout', '--quiet', '-b', spec.branch, spec.baseCommit],
        { env: NO_GLOBAL_CONFIG },
      );
      // From here on only the container reads this clone: it finds the user's objects where the
      // session mounts them, whatever the host path (which may sit under a directory such as
      // /root that the session's user cannot enter). The host's git never reads them here again.
      await writeFile(join(spec.path, '.git', 'objects', 'info', 'alternates'), `${CONTAINER_OBJECTS_DIR}\n`);
      if (process.getuid?.() !== spec.uid || process.getgid?.() !== spec.gid) {
        await execFileP('chown', ['-R', `${spec.uid}:${spec.gid}`, '--', spec.path]);
      }
    } catch (err) {
      for (const step of undo.reverse()) await step().catch(() => undefined);
      if (err instanceof Conflict || err instanceof GitError || err instanceof InvalidInput) throw err;
      throw new GitError(`could not make the working copy: ${(err as Error).message}`, { cause: err });
    }
  }

  /**
   * Brings a bundle made inside a session into the user's repo under `targetRef`. The bundle is
   * untrusted: hooks off, objects checked, no submodules, no tags (bundle-import.ts).
   */
  importBundle(repo: RepoInfo, bundleFile: string, sourceRef: string, targetRef: string): Promise<string> {
    return importBundle(repo, bundleFile, sourceRef, targetRef);
  }

  /** Moves berth/OLD to berth/NEW in one transaction; refuses when NEW exists. */
  async renameBranch(repo: RepoInfo, from: string, to: string): Promise<void> {
    const commit = (await git(repo.root, ['rev-parse', '--verify', `refs/heads/${from}`])).stdout.trim();
    await gitWithInput(
      repo.root,
      ['update-ref', '--stdin'],
      Buffer.from(`create refs/heads/${to} ${commit}\ndelete refs/heads/${from} ${commit}\n`),
    ).catch((err) => {
      throw new Conflict(`branch ${to} already exists in ${repo.root}`, {
        hint: `delete it (\`git branch -D ${to}\`) or choose another name`,
        cause: err,
      });
    });
  }

  async setRef(repo: RepoInfo, ref: string, commit: string): Promise<void> {
    await git(repo.root, ['update-ref', ref, commit]);
  }

  /** The diff of `ref` against `base`, run in the user's repo, with no external drivers. */
  async diff(repo: RepoInfo, base: string, ref: string): Promise<string> {
    const out = await git(repo.root, [
      '-c',
      'core.hooksPath=/dev/null',
      'diff',
      '--no-ext-diff',
      '--no-textconv',
      '--no-color',
      '--end-of-options',
      base,
      ref,
      '--',
    ]);
    return stripControl(out.stdout);
  }

  /** Removes the session's clone and berth's refs; the branch too unless `keepBranch`. */
  async remove(opts: {
    repoRoot: string | null;
    sessionId: string;
    branch: string;
    path: string | null;
    keepBranch: boolean;
  }): Promise<void> {
    const refs = sessionRefs(opts.sessionId);
    const dropRefs = async () => {
      if (!opts.repoRoot) return;
      const repoExists = await stat(opts.repoRoot).then(
        () => true,
        () => false,
      );
      if (!repoExists) return;
      const doomed = [refs.base, refs.snapshot, ...(opts.keepBranch ? [] : [`refs/heads/${opts.branch}`])];
      // One transaction; deleting a ref that does not exist is not an error.
      await gitWithInput(
        opts.repoRoot,
        ['update-ref', '--stdin'],
        Buffer.from(doomed.map((r) => `delete ${r}\n`).join('')),
      );
    };
    await Promise.all([opts.path ? removeTree(opts.path) : undefined, dropRefs()]);
  }
}

/** rm -rf that also beats directories the session made unreadable. */
export async function removeTree(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch {
    // fall through: make everything ours and writable, then try again
  }
  await makeWritable(path);
  await rm(path, { recursive: true, force: true });
}

async function makeWritable(path: string): Promise<void> {
  // lstat: a symlink the session planted must never lead the chmod out of its tree.
  const st = await lstat(path).catch(() => null);
  if (!st?.isDirectory()) return;
  await chmod(path, 0o700).catch(() => undefined);
  const entries = await readdir(path, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await makeWritable(join(path, e.name));
}
