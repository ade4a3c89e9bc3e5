// create_agent: stand-in agent sessions (berth-test/agent:1, a profile in the daemon's config
// file) made until their tmux session is up, against a HOME volume and the same image running the
// agent in tmux, raw, polled with `tmux has-session` as berth's `launcher.sh ready` does.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENT_IMAGE, AGENT_PROFILE, AGENT_PROFILE_NAME } from '../daemon.mjs';
import { iterationTag, pair } from '../harness.mjs';

export const AGENT_ITERATIONS = 8;
export const AGENT_ITERATIONS_QUICK = 3;

export const rows = [
  {
    name: 'create_agent',
    what:
      `berth create --agent (the stand-in agent on ${AGENT_IMAGE}) until its tmux session is up vs a HOME volume` +
      ' + createContainer + start of the same image running the agent in tmux + exec polling `tmux has-session`',
  },
];

export function notes(_ctx, shown) {
  if (!shown.some((r) => r.name === 'create_agent')) return [];
  return [
    "  create_agent: berth also makes the agent's credentials dir and copies its launcher in; n = sessions",
  ];
}

/** The raw side: a HOME volume, the agent image running the agent in tmux, as berth's launcher does. */
function rawAgentSpec(raw, name, bindDir, user, volume) {
  const spec = raw.containerSpec(name, bindDir, user);
  return {
    ...spec,
    image: AGENT_IMAGE,
    command: [
      'sh',
      '-c',
      `tmux -u new-session -d -s agent -x 160 -y 48 -c /workspace ${AGENT_PROFILE.command.join(' ')} && exec sleep 2147483647`,
    ],
    env: { HOME: '/home/berth', TMUX_TMPDIR: '/tmp', TERM: 'xterm-256color' },
    mounts: [...spec.mounts, { source: volume, target: '/home/berth', readOnly: false }],
  };
}

export async function run(ctx) {
  const op = 'create_agent';
  const { opts, raw, docker } = ctx;
  const iterations = opts.quick ? AGENT_ITERATIONS_QUICK : Math.min(opts.iterations, AGENT_ITERATIONS);
  const hasImage = await docker
    .getImage(AGENT_IMAGE)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (!hasImage) {
    ctx.skipped[op] =
      `image ${AGENT_IMAGE} is missing (build it with \`node scripts/setup.mjs --for-tests\`)`;
    return;
  }
  const { client } = await ctx.daemon();
  const { repo, user } = await ctx.repo100();
  ctx.log('agent sessions: the stand-in agent, until its tmux session is up');
  for (let i = 0; i < opts.warmup + iterations; i++) {
    ctx.checkInterrupted();
    const measured = i >= opts.warmup;
    const name = `bench-agent-${i}`;
    const bindDir = join(ctx.tmpRoot, 'binds', `raw-agent-${i}`);
    await mkdir(bindDir, { recursive: true });
    const volume = `berth-bench-raw-${ctx.runId}-agent-${i}`;
    let container = null;
    let volumeMade = false;
    try {
      const got = await pair(
        ctx,
        op,
        i % 2 === 0,
        measured,
        async () => {
          const s = await client.createSession({ name, repo, agent: AGENT_PROFILE_NAME });
          if (s.status !== 'running')
            throw new Error(`berth agent session ${name} is ${s.status}, not running`);
        },
        async () => {
          await docker.createVolume({ Name: volume, Labels: raw.labels });
          volumeMade = true;
          await raw.ensureNetwork();
          container = await raw.createContainer(
            rawAgentSpec(raw, `berth-bench-raw-${ctx.runId}-agent-${i}`, bindDir, user, volume),
          );
          await container.start();
          // berth's `launcher.sh ready`: the agent's tmux session is there, asked every 0.1 s.
          await raw.execOk(
            container,
            user,
            ['sh', '-c', 'while ! tmux has-session -t agent 2>/dev/null; do sleep 0.1; done'],
            ['TMUX_TMPDIR=/tmp'],
          );
        },
      );
      const tag = iterationTag(i, opts.warmup, iterations);
      ctx.log(
        `${op} ${tag}: berth ${got.berth.toFixed(0)} ms, volume + create + start + tmux up ${got.raw.toFixed(0)} ms`,
      );
    } finally {
      // Outside the timed part: undo both (the session's volume and credentials go with it).
      await client.remove(name, true).catch(() => undefined);
      await container?.remove({ force: true }).catch(() => undefined);
      if (volumeMade)
        await docker
          .getVolume(volume)
          .remove({ force: true })
          .catch(() => undefined);
      await rm(bindDir, { recursive: true, force: true });
    }
  }
}
