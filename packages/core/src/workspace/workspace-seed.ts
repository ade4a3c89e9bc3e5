/**
 * A working copy that reaches its session as a stream, not a host path (docs/scale-out.md, "Git
 * in and out"): the host bundles the session's pinned base from the repository it trusts, and a
 * fixed script inside the session, run as the session's user, makes `/workspace` from it. Only
 * the runtime port's exec carries it, so any driver that can exec can seed.
 */
import type { Readable } from 'node:stream';
import { GitError } from '../errors/berth-error.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { gitOutput, lastWords } from './host-git.js';
import type { RepoInfo } from './repo-inspection.js';
import { NO_GIT_EXIT } from './snapshot-script.js';

/**
 * Runs inside the session in `/workspace`, as its user; the bundle is its stdin. Values are its
 * arguments, never spliced in: $1 the bundle's ref, $2 the session's branch, $3 the base commit,
 * $4 and $5 the git user's name and email. Makes the repository with no template (no hooks), takes
 * the objects from the bundle, checks the branch out at the base with hooks and lfs filters off,
 * and prints the commit it checked out. Refuses a `/workspace` that already holds a repository.
 */
export const SEED_SCRIPT = `set -eu
command -v git >/dev/null 2>&1 || { echo 'berth: this image has no git' >&2; exit 97; }
[ ! -e .git ] || { echo 'berth: /workspace already holds a repository' >&2; exit 1; }
git -c init.defaultBranch=berth init --quiet --template= .
b=.git/berth-seed.bundle
cat > "$b"
git -c core.hooksPath=/dev/null fetch --quiet --no-tags --no-recurse-submodules --no-write-fetch-head "$b" "+$1:refs/berth/seed"
rm -f "$b"
git -c core.hooksPath=/dev/null -c filter.lfs.smudge= -c filter.lfs.process= -c filter.lfs.required=false checkout --quiet -b "$2" refs/berth/seed
git update-ref -d refs/berth/seed
git config user.name "$4"
git config user.email "$5"
[ "$(git rev-parse --verify HEAD)" = "$3" ] || { echo 'berth: the bundle did not hold the base' >&2; exit 1; }
git rev-parse --verify HEAD
`;

/** The bundle of one ref of the trusted repository (its whole history), as a stream. */
export function bundleOf(repo: RepoInfo, ref: string): Readable {
  return gitOutput(repo.root, ['bundle', 'create', '--quiet', '-', ref]);
}

export interface SeedSpec {
  /** The session's user, who owns what the seed makes. */
  user: string;
  /** The ref the bundle holds, the branch to make at the base, and the base commit. */
  ref: string;
  branch: string;
  baseCommit: string;
  gitUser: { name: string; email: string };
  bundle: Readable;
}

/**
 * Seeds `/workspace` of a running container from `spec.bundle` and checks that what it checked
 * out is the base (the script's output is the session's, so it is only compared, never used).
 */
export async function seedWorkspace(
  runtime: ContainerRuntime,
  containerId: string,
  spec: SeedSpec,
): Promise<void> {
  const res = await runtime.exec(containerId, {
    cmd: [
      'sh',
      '-c',
      SEED_SCRIPT,
      'berth-seed',
      spec.ref,
      spec.branch,
      spec.baseCommit,
      spec.gitUser.name,
      spec.gitUser.email,
    ],
    user: spec.user,
    workingDir: '/workspace',
    env: { GIT_TERMINAL_PROMPT: '0' },
    maxOutputBytes: 64 * 1024,
    stdin: spec.bundle,
  });
  if (res.exitCode === NO_GIT_EXIT) {
    throw new GitError('the session image has no git, so its working copy cannot be made inside it', {
      hint: 'use an image with git (berth image build makes one), or let berth mount the working copy',
    });
  }
  const said = res.stdout.toString('utf8').trim();
  if (res.exitCode !== 0 || said !== spec.baseCommit) {
    const why = lastWords(res.stderr) || `exit ${res.exitCode}`;
    throw new GitError(`could not make the working copy inside the session: ${why}`, {
      hint: 'the session image needs git and a writable /workspace; run it again, or use berth image build',
    });
  }
}
