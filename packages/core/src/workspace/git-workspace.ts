import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import {
  appendFile,
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  realpath,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Conflict, GitError, InvalidInput } from '../errors/berth-error.js';
import { FETCH_ONLY_REFS, git, gitStatus, gitWithInput, NO_GLOBAL_CONFIG, stripControl } from './host-git.js';
import type { WorkingCopies } from './working-copies.js';

const execFileP = promisify(execFile);

export interface RepoInfo {
  /** Absolute, symlink-free top level of the working tree. */
  root: string;
  /** The repository's object store, mounted read-only into sessions at the same path. */
  objectsDir: string;
  ownerUid: number;
  ownerGid: number;
}

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

const BUNDLE_SIGNATURES = [Buffer.from('# v2 git bundle\n'), Buffer.from('# v3 git bundle\n')];
/** A bundle's header (its refs and prerequisites) ends within this many bytes, or it is refused. */
const BUNDLE_HEADER_MAX = 1024 * 1024;

/** Up to `max` bytes from the start of a file. */
async function readHead(path: string, max: number): Promise<Buffer> {
  const h = await open(path, 'r');
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await h.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await h.close();
  }
}

const SHA_RE = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
export function isSha(value: string): boolean {
  return SHA_RE.test(value);
}

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

/**
 * Makes and unmakes sessions' working copies (docs/security.md, "Git working copies"): a
 * `clone --shared` per session whose objects come read-only from the user's repo. The host's git
 * runs in the user's repo only, and in a clone only before its container starts.
 */
export class GitWorkspaces implements WorkingCopies {
  /** `reposDir`: where berth keeps its bare caches of remote repositories (remote-repos.ts). */
  /**
   * `berthHome`: no repository whose files lie under it is ever taken, bar the caches in
   * `reposDir`: what lives there is berth's, or a session's, never a user's repository.
   */
  constructor(private readonly opts: { workspacesDir: string; reposDir?: string; berthHome?: string }) {}

  async inspectRepo(path: string): Promise<RepoInfo> {
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
    if (isInside(real, await realDir(this.opts.workspacesDir))) {
      throw new InvalidInput(`${path} is a berth session's working copy, not a repository berth may read`, {
        hint: OWN_REPO_HINT,
      });
    }
    const st = await stat(real);
    if (!st.isDirectory()) throw new InvalidInput(`repository path ${path} is not a directory`);
    if (await this.isRemoteCache(real)) {
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
    await this.assertOutsideHome(real, path);
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
    await this.assertOutsideHome(root, path);
    await this.assertOutsideHome(commonDir, path);
    const objectsDir = await realpath(join(commonDir, 'objects'));
    const rootStat = await stat(root);
    return { root, objectsDir, ownerUid: rootStat.uid, ownerGid: rootStat.gid };
  }

  /** `real` is one of berth's caches of a remote: directly in `reposDir`, named as berth names them. */
  private async isRemoteCache(real: string): Promise<boolean> {
    if (!this.opts.reposDir) return false;
    return dirname(real) === (await realDir(this.opts.reposDir)) && CACHE_NAME_RE.test(basename(real));
  }

  /** Refuses a repository whose files (`real`, a real path) lie under BERTH_HOME. */
  private async assertOutsideHome(real: string, given: string): Promise<void> {
    if (!this.opts.berthHome || !isInside(real, await realDir(this.opts.berthHome))) return;
    throw new InvalidInput(
      `${given} is not a repository berth may read: its files lie inside berth's own directory, which sessions can write`,
      { hint: `${OWN_REPO_HINT}; a remote's cache is only ever used through its URL (--repo URL)` },
    );
  }

  /** The base branch (default: the repo's current branch) and the commit it points at. */
  async resolveBase(repo: RepoInfo, branch?: string): Promise<{ branch: string; commit: string }> {
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

  async assertBranchFree(repo: RepoInfo, branch: string): Promise<void> {
    if ((await gitStatus(repo.root, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`])) === 0) {
      throw new Conflict(`branch ${branch} already exists in ${repo.root}`, {
        hint: `merge or delete it (\`git branch -D ${branch}\`), or choose another session name`,
      });
    }
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
   * untrusted: hooks off, objects checked, no submodules, no tags.
   */
  async importBundle(
    repo: RepoInfo,
    bundleFile: string,
    sourceRef: string,
    targetRef: string,
  ): Promise<string> {
    // git fetch treats a path that is not a bundle as a repository (a `gitdir:` file would send it
    // into the session's own clone, config and all): only ever hand it a real bundle.
    const head = await readHead(bundleFile, BUNDLE_HEADER_MAX);
    if (!BUNDLE_SIGNATURES.some((sig) => head.subarray(0, sig.length).equals(sig))) {
      throw new GitError('the session sent back something that is not a git bundle', {
        hint: 'its git may be broken or tampered with; cancel the session or inspect it with `berth shell`',
      });
    }
    const headerEnd = head.indexOf('\n\n');
    if (headerEnd < 0) throw new GitError('the session sent back a bundle with no pack');
    const dir = await mkdtemp(join(tmpdir(), 'berth-bundle-'));
    try {
      await this.checkBundleObjects(repo, bundleFile, headerEnd + 2, dir);
      await git(repo.root, [
        '-c',
        'core.hooksPath=/dev/null',
        '-c',
        'transfer.fsckObjects=true',
        '-c',
        'fetch.fsckObjects=true',
        'fetch',
        ...FETCH_ONLY_REFS,
        '--end-of-options',
        bundleFile,
        `+${sourceRef}:${targetRef}`,
      ]);
      const rev = await git(repo.root, ['rev-parse', '--verify', `${targetRef}^{commit}`]);
      return rev.stdout.trim();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  /**
   * Before git 2.46 a fetch from a bundle skips fsck whatever the config says, so the pack (the
   * file from `packStart` on, streamed) is checked first, strictly, in a scratch repository of
   * berth's own that borrows the user's objects (for the thin pack's bases). A tree holding
   * `.git`, a malformed object: refused.
   */
  private async checkBundleObjects(
    repo: RepoInfo,
    bundleFile: string,
    packStart: number,
    scratch: string,
  ): Promise<void> {
    const quarantine = join(scratch, 'quarantine.git');
    await git(scratch, ['init', '--quiet', '--bare', quarantine]);
    await writeFile(join(quarantine, 'objects', 'info', 'alternates'), `${repo.objectsDir}\n`);
    const pack = createReadStream(bundleFile, { start: packStart });
    await gitWithInput(quarantine, ['index-pack', '--strict', '--fix-thin', '--stdin'], pack).catch((err) => {
      throw new GitError(`the session's work failed git's object checks: ${(err as Error).message}`, {
        hint: 'it holds objects git refuses (such as a path named .git); fix the history inside the session',
        cause: err,
      });
    });
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
