// model_turn_broker: streamed Messages API turns run inside an agent session through berth's key
// broker (the session's placeholder key in, the real key put in upstream), against the same turns
// from a container of the same image on berth's shared network straight to the scripted API (a
// filtered session, berth's default, reaches nothing but its relay).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SECRETS_MOUNT } from '@berth/core';
import { keepRound, median, ROUND_BATCH, ROUNDS, ROUNDS_QUICK, WARMUP_ROUNDS } from '../harness.mjs';
import {
  DISPATCH_KEY,
  pointClaudeAt,
  SESSION_IMAGE,
  scriptedClaudeApi,
  sessionImageExists,
} from '../scripted-api.mjs';
import { run as runCommand } from '../util.mjs';

export const rows = [
  {
    name: 'model_turn_broker',
    what:
      "one streamed Messages API turn from inside an agent session through berth's key broker (placeholder in," +
      ' real key put in upstream) vs the same request from a container of the same image straight to the scripted API',
    requests: true,
  },
];

/** Run in the session and in the raw container (both images have Node): BATCH turns at BASE with KEY. */
const TURN_SCRIPT = `
const [base, key, batch] = process.argv.slice(1);
const body = JSON.stringify({ model: 'claude-bench', max_tokens: 16, stream: true,
  messages: [{ role: 'user', content: 'bench' }] });
async function turn() {
  const t0 = performance.now();
  const r = await fetch(base + '/v1/messages', { method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' } });
  const text = await r.text();
  if (r.status !== 200 || !text.includes('message_stop')) throw new Error(base + ' answered ' + r.status + ': ' + text.slice(0, 200));
  return performance.now() - t0;
}
(async () => {
  const out = [];
  for (let n = 0; n < Number(batch); n++) out.push(await turn());
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

export async function run(ctx) {
  const op = 'model_turn_broker';
  const { opts } = ctx;
  if (!(await sessionImageExists(ctx.docker))) {
    ctx.skipped[op] = `image ${SESSION_IMAGE} is missing (run \`node scripts/setup.mjs --for-tests\`)`;
    return;
  }
  const { client } = await ctx.daemon();
  const { repo } = await ctx.repo100();
  const api = await scriptedClaudeApi(ctx, await ctx.raw.networkGateway());
  const name = 'bench-broker';
  let direct = null;
  try {
    await pointClaudeAt(ctx, client, api);
    // An agent session of the real profile, idle at its prompt: its key file and base URL are the broker's.
    await client.createSession({ name, repo, agent: 'claude', image: SESSION_IMAGE });
    const read = async (cmd) => (await client.exec(name, cmd)).stdout.toString('utf8').trim();
    const placeholder = await read(['cat', `${SECRETS_MOUNT}/ANTHROPIC_API_KEY`]);
    const broker = await read(['printenv', 'ANTHROPIC_BASE_URL']);
    if (!placeholder.startsWith('berth-key-') || !broker.startsWith('http'))
      throw new Error(`session ${name} has no brokered key (${placeholder.slice(0, 12)}…, ${broker})`);
    // The raw side: the same image on berth's shared network, where the scripted API is reached
    // straight (a filtered session's one way out is its relay, so the session itself cannot).
    const { user } = await ctx.repo100();
    const bindDir = join(ctx.tmpRoot, 'binds', 'raw-turns');
    await mkdir(bindDir, { recursive: true });
    direct = await ctx.raw.createContainer(
      ctx.raw.containerSpec(`berth-bench-raw-${ctx.runId}-turns`, bindDir, user, {
        image: SESSION_IMAGE,
        env: { HOME: '/tmp' },
      }),
    );
    await direct.start();
    const batch = {
      berth: async () => {
        const r = await client.exec(name, [
          'node',
          '-e',
          TURN_SCRIPT,
          broker,
          placeholder,
          String(ROUND_BATCH),
        ]);
        if (r.exitCode !== 0)
          throw new Error(`${op}: the turns failed: ${r.stderr.toString('utf8').slice(0, 400)}`);
        return JSON.parse(r.stdout.toString('utf8'));
      },
      raw: async () =>
        JSON.parse(
          await runCommand('docker', [
            'exec',
            direct.id,
            'node',
            '-e',
            TURN_SCRIPT,
            api.url,
            DISPATCH_KEY,
            String(ROUND_BATCH),
          ]),
        ),
    };
    const rounds = opts.quick ? ROUNDS_QUICK : ROUNDS;
    ctx.log(`${op}: ${rounds} rounds of ${ROUND_BATCH} turns a side, through the broker and straight`);
    for (let i = 0; i < WARMUP_ROUNDS + rounds; i++) {
      ctx.checkInterrupted();
      const got = {};
      for (const side of i % 2 === 0 ? ['berth', 'raw'] : ['raw', 'berth']) got[side] = await batch[side]();
      if (i < WARMUP_ROUNDS) continue;
      keepRound(ctx, op, got.berth, got.raw);
      ctx.log(
        `${op} ${i - WARMUP_ROUNDS + 1}/${rounds}: median ms broker ${median(got.berth).toFixed(1)}, straight ${median(got.raw).toFixed(1)}`,
      );
    }
    ctx.loadStats[op] = { rounds, requests_per_round: ROUND_BATCH };
  } finally {
    await client.remove(name, true).catch(() => undefined);
    await direct?.remove({ force: true }).catch(() => undefined);
    await api.close();
  }
}
