// dispatch_claude: `berth dispatch --agent claude` (the real Claude Code from berth's agents
// volume, seeded, in tmux) on a prompt until a scripted Messages API on the session network's
// gateway gets the prompt, against a container of the same image and volume running
// `claude -p PROMPT` until the same request.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AGENTS_MOUNT, agentsVolumeName } from '@berth/core';
import { iterationTag, pair } from '../harness.mjs';
import {
  DISPATCH_KEY,
  pointClaudeAt,
  SESSION_IMAGE,
  scriptedClaudeApi,
  sessionImageExists,
} from '../scripted-api.mjs';
import { AGENT_ITERATIONS, AGENT_ITERATIONS_QUICK } from './create-agent.mjs';

export const rows = [
  {
    name: 'dispatch_claude',
    what:
      'berth dispatch --agent claude (the real Claude Code from the agents volume, seeded, in tmux) until the' +
      ' scripted API gets its first request with the prompt vs createContainer + start of the same image with' +
      ' the same volume running `claude -p PROMPT`, until the same request',
  },
];

export function notes(ctx, shown) {
  if (!shown.some((r) => r.name === 'dispatch_claude')) return [];
  const size = ctx.report.agentsVolumeBytes;
  return [
    "  dispatch_claude: berth also seeds Claude Code's HOME, its credentials and status directory; the agents volume" +
      ` (all four CLIs) holds ${size ? `${(size / 1024 ** 2).toFixed(0)} MiB` : 'an unknown size'}; n = sessions`,
  ];
}

/** What a volume holds on disk (the engine's own count, from `docker system df -v`). */
async function volumeBytes(docker, name) {
  const df = await docker.df();
  return (df.Volumes ?? []).find((v) => v.Name === name)?.UsageData?.Size ?? null;
}

export async function run(ctx) {
  const op = 'dispatch_claude';
  const { opts, raw, docker } = ctx;
  const iterations = opts.quick ? AGENT_ITERATIONS_QUICK : Math.min(opts.iterations, AGENT_ITERATIONS);
  // The volume this berth's daemon mounts (its name is the hash of the pinned CLIs).
  const tools = agentsVolumeName();
  const hasTools = await docker
    .getVolume(tools)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  const hasImage = await sessionImageExists(docker);
  if (!hasTools || !hasImage) {
    ctx.skipped[op] =
      `${hasImage ? `berth's agents volume ${tools}` : `image ${SESSION_IMAGE}`} is missing (run \`node scripts/setup.mjs --for-tests\`)`;
    return;
  }
  const { client } = await ctx.daemon();
  const { repo, user } = await ctx.repo100();
  ctx.log('agent dispatch: the real Claude Code, until its first model request with the prompt');
  const api = await scriptedClaudeApi(ctx, await raw.networkGateway());
  try {
    await pointClaudeAt(ctx, client, api);
    ctx.report.agentsVolumeBytes = await volumeBytes(docker, tools);
    for (let i = 0; i < opts.warmup + iterations; i++) {
      ctx.checkInterrupted();
      const measured = i >= opts.warmup;
      const name = `bench-claude-${i}`;
      const bindDir = join(ctx.tmpRoot, 'binds', `raw-claude-${i}`);
      await mkdir(bindDir, { recursive: true });
      let container = null;
      try {
        const got = await pair(
          ctx,
          op,
          i % 2 === 0,
          measured,
          async () => {
            const marker = `bench task ${ctx.runId} ${i} berth`;
            const arrived = api.waitFor(marker);
            await client.createSession({ name, repo, agent: 'claude', prompt: marker, image: SESSION_IMAGE });
            await arrived;
          },
          async () => {
            const marker = `bench task ${ctx.runId} ${i} raw`;
            const arrived = api.waitFor(marker);
            const spec = raw.containerSpec(`berth-bench-raw-${ctx.runId}-claude-${i}`, bindDir, user);
            container = await raw.createContainer({
              ...spec,
              image: SESSION_IMAGE,
              command: ['claude', '-p', marker],
              env: {
                HOME: '/tmp',
                PATH: `${AGENTS_MOUNT}/bin:/usr/local/bin:/usr/bin:/bin`,
                ANTHROPIC_BASE_URL: api.url,
                ANTHROPIC_API_KEY: DISPATCH_KEY,
                CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
              },
              mounts: [...spec.mounts, { source: tools, target: AGENTS_MOUNT, readOnly: true }],
            });
            await container.start();
            await arrived;
          },
        );
        const tag = iterationTag(i, opts.warmup, iterations);
        ctx.log(
          `${op} ${tag}: berth ${got.berth.toFixed(0)} ms, create + start + claude -p ${got.raw.toFixed(0)} ms`,
        );
      } finally {
        await client.remove(name, true).catch(() => undefined);
        await container?.remove({ force: true }).catch(() => undefined);
        await rm(bindDir, { recursive: true, force: true });
      }
    }
  } finally {
    await api.close();
  }
}
