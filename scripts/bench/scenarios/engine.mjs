// Engine operations: sessions made, paused and resumed, exec'd into and removed through the
// daemon over its unix socket, the path a user takes, against the same container work through
// dockerode with the same image and berth's own create options. The create and remove rows do
// the network work of a filtered session (berth's default) on the raw side too.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { iterationTag, pair } from '../harness.mjs';

export const rows = [
  {
    name: 'create',
    what:
      'berth create to running (working copy included, on a filtered network of its own) vs network create' +
      ' + relay connect + createContainer + start',
  },
  { name: 'pause_resume', what: 'berth pause + resume vs pause + unpause' },
  { name: 'exec', what: 'berth exec `true` vs exec create + start + wait + inspect' },
  {
    name: 'remove',
    what:
      'berth remove --force (container, working copy, branch, its network) vs container.remove + relay' +
      ' disconnect + network remove',
  },
];

export async function run(ctx) {
  const { opts, raw } = ctx;
  const { client } = await ctx.daemon();
  const { repo, user } = await ctx.repo100();
  ctx.log('engine operations, berth/raw ms per iteration');
  await raw.startRelay();
  const total = opts.warmup + opts.iterations;
  for (let i = 0; i < total; i++) {
    const measured = i >= opts.warmup;
    const berthFirst = i % 2 === 0;
    const name = `bench-${i}`;
    const bindDir = join(ctx.tmpRoot, 'binds', `raw-${i}`);
    await mkdir(bindDir, { recursive: true });
    let container = null;
    let rawNetwork = null;
    const line = [];
    const step = async (op, berthFn, rawFn) => {
      const got = await pair(ctx, op, berthFirst, measured, berthFn, rawFn);
      line.push(`${op} ${got.berth.toFixed(0)}/${got.raw.toFixed(0)}`);
    };

    await step(
      'create',
      async () => {
        const s = await client.createSession({ name, repo });
        if (s.status !== 'running') throw new Error(`berth session ${name} is ${s.status}, not running`);
      },
      async () => {
        rawNetwork = await raw.sessionNetwork(i);
        container = await raw.createContainer(
          raw.containerSpec(`berth-bench-raw-${ctx.runId}-${i}`, bindDir, user, { network: rawNetwork }),
        );
        await container.start();
      },
    );
    await step(
      'pause_resume',
      async () => {
        await client.act(name, 'pause');
        const s = await client.act(name, 'resume');
        if (s.status !== 'running') throw new Error(`berth session ${name} is ${s.status} after resume`);
      },
      async () => {
        await container.pause();
        await container.unpause();
      },
    );
    await step(
      'exec',
      async () => {
        const r = await client.exec(name, ['true']);
        if (r.exitCode !== 0) throw new Error(`berth exec of true exited ${r.exitCode}`);
      },
      () => raw.execTrue(container, user),
    );
    await step(
      'remove',
      () => client.remove(name, true),
      async () => {
        await container.remove({ force: true });
        await raw.removeSessionNetwork(rawNetwork);
      },
    );
    await rm(bindDir, { recursive: true, force: true });
    const tag = iterationTag(i, opts.warmup, opts.iterations);
    ctx.log(`engine ${tag} (${berthFirst ? 'berth' : 'raw'} first), berth/raw ms: ${line.join(', ')}`);
  }
}
