// Working copies: GitWorkspaces.create alone (what berth's create does for the working copy)
// against `git worktree add` on the same repository, at 100 files and at 20,000.
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GitWorkspaces } from '@berth/core';
import { iterationTag, pair } from '../harness.mjs';
import { git, makeRepo, syncDisks } from '../util.mjs';

export const rows = [
  { name: 'worktree_100', what: 'GitWorkspaces.create vs git worktree add, 100 files' },
  { name: 'worktree_20k', what: 'GitWorkspaces.create vs git worktree add, 20,000 files' },
];

export async function run(ctx) {
  const { opts } = ctx;
  if (ctx.want('worktree_100')) {
    const { repo } = await ctx.repo100();
    ctx.log('working copies, 100 files');
    await worktreeOps(ctx, 'worktree_100', repo, opts.warmup, opts.iterations);
  }
  // --quick leaves it out: a 20,000-file checkout takes about 15 s on a slow disk.
  if (!opts.quick && ctx.want('worktree_20k')) {
    ctx.checkInterrupted();
    ctx.log('making a 20,000-file repository (about a minute on a slow disk)');
    const t0 = performance.now();
    const repo20k = await makeRepo(join(ctx.tmpRoot, 'repos', 'r20k'), 20_000);
    ctx.log(`made it in ${((performance.now() - t0) / 1000).toFixed(1)} s; working copies, 20,000 files`);
    await worktreeOps(ctx, 'worktree_20k', repo20k, opts.bigWarmup, opts.bigIterations);
  }
}

async function worktreeOps(ctx, op, repo, warmup, iterations) {
  const workspacesDir = join(ctx.tmpRoot, 'wt-home', 'workspaces');
  const rawDir = join(ctx.tmpRoot, 'worktrees');
  await mkdir(rawDir, { recursive: true });
  const ws = new GitWorkspaces({ workspacesDir });
  // Outside the timed part: what berth's create does before it makes the working copy.
  const info = await ws.inspectRepo(repo);
  const base = await ws.resolveBase(info);
  const { fallbackUid, fallbackGid } = ctx.config;
  const uid = info.ownerUid === 0 ? fallbackUid : info.ownerUid;
  const gid = info.ownerUid === 0 ? fallbackGid : info.ownerGid;
  for (let i = 0; i < warmup + iterations; i++) {
    const measured = i >= warmup;
    const sessionId = randomUUID();
    const branch = `berth/${op.replace('_', '-')}-${i}`;
    const path = join(workspacesDir, sessionId);
    const rawPath = join(rawDir, `${op}-${i}`);
    const rawBranch = `bench-raw-${op.replace('_', '-')}-${i}`;
    const got = await pair(
      ctx,
      op,
      i % 2 === 0,
      measured,
      () =>
        ws.create({
          sessionId,
          branch,
          repo: info,
          baseCommit: base.commit,
          path,
          uid,
          gid,
          gitUser: { name: 'berth session', email: `bench-${i}@sessions.berth.invalid` },
        }),
      () => git(repo, ['worktree', 'add', '-q', rawPath, '-b', rawBranch]),
      // Untimed, before each side: nothing left to write back from the step before.
      syncDisks,
    );
    // Outside the timed part: undo both.
    await ws.remove({ repoRoot: info.root, sessionId, branch, path, keepBranch: false });
    await git(repo, ['worktree', 'remove', '--force', rawPath]);
    await git(repo, ['branch', '-q', '-D', rawBranch]);
    const tag = iterationTag(i, warmup, iterations);
    ctx.log(`${op} ${tag}: berth ${got.berth.toFixed(0)} ms, git worktree ${got.raw.toFixed(0)} ms`);
  }
}
