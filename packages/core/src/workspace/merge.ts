import { execFile } from 'node:child_process';
import { Conflict, GitError, InvalidInput } from '../errors/berth-error.js';
import { git, gitStatus, hostGitEnv, stripControl } from './host-git.js';
import type { RepoInfo } from './repo-inspection.js';

export interface MergePlan {
  /** The base branch's ref and the commit it points at now (the update is checked against it). */
  baseRef: string;
  oldBase: string;
  /** The commit the base branch moves to (equal to oldBase when there is nothing to merge). */
  newBase: string;
  kind: 'up-to-date' | 'fast-forward' | 'merge';
}

function rawGit(cwd: string, args: string[]): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      'git',
      args,
      { cwd, env: hostGitEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout });
      },
    );
  });
}

/**
 * Works out, without touching any working tree, what merging `commit` (the session's finished work)
 * into `baseBranch` makes: nothing, a fast-forward, or a merge commit written by `merge-tree` and
 * `commit-tree`. Refuses on conflicts, naming the files, and when the base branch is checked out in
 * a worktree of the user's repo (moving it under a checkout would leave that checkout stale).
 */
export async function planMerge(opts: {
  repo: RepoInfo;
  baseBranch: string;
  branch: string;
  commit: string;
  identity: { name: string; email: string };
  sessionName: string;
}): Promise<MergePlan> {
  const { repo, baseBranch, commit, sessionName } = opts;
  if (baseBranch === 'HEAD') {
    throw new InvalidInput(
      `session '${sessionName}' was made from a detached HEAD: there is no branch to merge into`,
      {
        hint: `finish without --merge and merge ${opts.branch} yourself`,
      },
    );
  }
  const baseRef = `refs/heads/${baseBranch}`;
  const rev = await git(repo.root, [
    'rev-parse',
    '--verify',
    '--quiet',
    '--end-of-options',
    `${baseRef}^{commit}`,
  ]).catch(() => null);
  const oldBase = rev?.stdout.trim() ?? '';
  if (!oldBase) {
    throw new Conflict(`base branch ${baseBranch} no longer exists in ${repo.root}`, {
      hint: `finish without --merge; the work stays on ${opts.branch}`,
    });
  }
  const worktrees = await git(repo.root, ['worktree', 'list', '--porcelain']).catch(() => null);
  if (worktrees?.stdout.split('\n').some((l) => l === `branch ${baseRef}`)) {
    throw new Conflict(
      `${baseBranch} is checked out in ${repo.root}: berth does not move a checked-out branch`,
      {
        hint: `finish without --merge, then run \`git merge ${opts.branch}\` there yourself`,
      },
    );
  }
  if ((await gitStatus(repo.root, ['merge-base', '--is-ancestor', commit, oldBase])) === 0) {
    return { baseRef, oldBase, newBase: oldBase, kind: 'up-to-date' };
  }
  if ((await gitStatus(repo.root, ['merge-base', '--is-ancestor', oldBase, commit])) === 0) {
    return { baseRef, oldBase, newBase: commit, kind: 'fast-forward' };
  }
  const tree = await rawGit(repo.root, [
    '-c',
    'core.hooksPath=/dev/null',
    'merge-tree',
    '--write-tree',
    '--name-only',
    '--no-messages',
    oldBase,
    commit,
  ]);
  const lines = tree.stdout.split('\n').filter(Boolean);
  if (tree.code === 1) {
    const files = [...new Set(lines.slice(1))].map(stripControl);
    const shown =
      files.slice(0, 20).join(', ') + (files.length > 20 ? `, and ${files.length - 20} more` : '');
    throw new Conflict(`merging ${opts.branch} into ${baseBranch} conflicts in: ${shown}`, {
      hint: `nothing was changed; finish without --merge, then merge ${opts.branch} yourself and resolve the conflicts`,
    });
  }
  if (tree.code !== 0 || !lines[0]) {
    throw new GitError(`git merge-tree failed (exit ${tree.code}) merging ${opts.branch} into ${baseBranch}`);
  }
  const made = await git(repo.root, [
    '-c',
    `user.name=${opts.identity.name}`,
    '-c',
    `user.email=${opts.identity.email}`,
    'commit-tree',
    lines[0],
    '-p',
    oldBase,
    '-p',
    commit,
    '-m',
    `Merge branch '${opts.branch}' into ${baseBranch}`,
  ]);
  return { baseRef, oldBase, newBase: made.stdout.trim(), kind: 'merge' };
}

/** Moves the base branch, only if it still points where the plan found it. */
export async function applyMerge(repo: RepoInfo, plan: MergePlan): Promise<void> {
  if (plan.kind === 'up-to-date') return;
  await git(repo.root, ['update-ref', '-m', 'berth: merge', plan.baseRef, plan.newBase, plan.oldBase]).catch(
    (err) => {
      throw new Conflict(
        `${plan.baseRef.slice('refs/heads/'.length)} moved while berth was merging into it`,
        {
          hint: 'finish again',
          cause: err,
        },
      );
    },
  );
}
