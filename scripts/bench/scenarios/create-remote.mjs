// create_remote: sessions made from a file:// remote whose cache is warm (berth fetches into its
// cache, makes the working copy and the container), against the same `git fetch` into a bare
// clone of that remote plus the create row's raw container work.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { iterationTag, pair } from '../harness.mjs';
import { git } from '../util.mjs';

/** A clone and a container a side per iteration, so fewer than the engine rows. */
export const REMOTE_ITERATIONS = 8;
export const REMOTE_ITERATIONS_QUICK = 4;

export const rows = [
  {
    name: 'create_remote',
    what:
      'berth create from a file:// remote, its cache warm (fetch + working copy + container) vs the same' +
      ' `git fetch` into a bare clone of that remote + createContainer + start',
  },
];

export function notes(_ctx, shown) {
  if (!shown.some((r) => r.name === 'create_remote')) return [];
  return [
    "  create_remote: berth's first session from the remote (the clone into its cache) is left out; n = sessions",
  ];
}

export async function run(ctx) {
  const op = 'create_remote';
  const { opts, raw, tmpRoot } = ctx;
  const { client } = await ctx.daemon();
  const { repo, user } = await ctx.repo100();
  ctx.log('sessions from a file:// remote, cache warm');
  const iterations = opts.quick ? REMOTE_ITERATIONS_QUICK : Math.min(opts.iterations, REMOTE_ITERATIONS);
  // What a hosting service serves, and the raw side's own bare clone of it (berth's cache is its own).
  const remote = join(tmpRoot, 'repos', 'remote.git');
  await git(repo, ['clone', '-q', '--bare', '--no-tags', '--template=', repo, remote]);
  const rawClone = join(tmpRoot, 'repos', 'raw-clone.git');
  await git(tmpRoot, ['clone', '-q', '--bare', '--no-tags', '--template=', remote, rawClone]);
  const url = `file://${remote}`;
  // Untimed: the first session clones the remote into berth's cache; every later one only fetches.
  ctx.log(`${op}: warming berth's cache of ${url}`);
  await client.createSession({ name: 'bench-remote-warm', repo: url });
  await client.remove('bench-remote-warm', true);
  for (let i = 0; i < opts.warmup + iterations; i++) {
    ctx.checkInterrupted();
    const measured = i >= opts.warmup;
    const name = `bench-remote-${i}`;
    const bindDir = join(tmpRoot, 'binds', `raw-remote-${i}`);
    await mkdir(bindDir, { recursive: true });
    let container = null;
    const got = await pair(
      ctx,
      op,
      i % 2 === 0,
      measured,
      async () => {
        const s = await client.createSession({ name, repo: url });
        if (s.status !== 'running') throw new Error(`berth session ${name} is ${s.status}, not running`);
      },
      async () => {
        // The fetch berth's cache makes (remote-repos.ts), then the create row's raw work.
        await git(rawClone, [
          'fetch',
          '--quiet',
          '--no-tags',
          '--no-recurse-submodules',
          '--no-write-fetch-head',
          '--end-of-options',
          url,
          '+refs/heads/*:refs/heads/*',
        ]);
        await raw.ensureNetwork();
        container = await raw.createContainer(
          raw.containerSpec(`berth-bench-raw-${ctx.runId}-remote-${i}`, bindDir, user),
        );
        await container.start();
      },
    );
    // Outside the timed part: undo both.
    await client.remove(name, true);
    await container?.remove({ force: true });
    await rm(bindDir, { recursive: true, force: true });
    const tag = iterationTag(i, opts.warmup, iterations);
    ctx.log(
      `${op} ${tag}: berth ${got.berth.toFixed(0)} ms, fetch + create + start ${got.raw.toFixed(0)} ms`,
    );
  }
}
