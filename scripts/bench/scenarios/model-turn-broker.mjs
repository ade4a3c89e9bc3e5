// model_turn_broker: streamed Messages API turns run inside an agent session through berth's key
// broker (the session's placeholder key in, the real key put in upstream), against the same turns
// from the same session straight to the scripted API.
import { SECRETS_MOUNT } from '@berth/core';
import { keepRound, ROUND_BATCH, ROUNDS, ROUNDS_QUICK, WARMUP_ROUNDS } from '../harness.mjs';
import {
  DISPATCH_KEY,
  pointClaudeAt,
  SESSION_IMAGE,
  scriptedClaudeApi,
  sessionImageExists,
} from '../scripted-api.mjs';

export const rows = [
  {
    name: 'model_turn_broker',
    what:
      "one streamed Messages API turn from inside an agent session through berth's key broker (placeholder in," +
      ' real key put in upstream) vs the same request from the same session straight to the scripted API',
    requests: true,
  },
];

/** Run inside the session (its image has Node): ROUNDS rounds of BATCH turns a side, in turn. */
const TURN_SCRIPT = `
const [broker, placeholder, direct, key, rounds, batch] = process.argv.slice(1);
const body = JSON.stringify({ model: 'claude-bench', max_tokens: 16, stream: true,
  messages: [{ role: 'user', content: 'bench' }] });
async function turn(base, k) {
  const t0 = performance.now();
  const r = await fetch(base + '/v1/messages', { method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-api-key': k, 'anthropic-version': '2023-06-01' } });
  const text = await r.text();
  if (r.status !== 200 || !text.includes('message_stop')) throw new Error(base + ' answered ' + r.status + ': ' + text.slice(0, 200));
  return performance.now() - t0;
}
const out = [];
for (let i = 0; i < Number(rounds); i++) {
  const round = { broker: [], raw: [] };
  const order = i % 2 === 0 ? ['broker', 'raw'] : ['raw', 'broker'];
  for (const side of order) for (let n = 0; n < Number(batch); n++)
    round[side].push(side === 'broker' ? await turn(broker, placeholder) : await turn(direct, key));
  out.push(round);
}
console.log(JSON.stringify(out));
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
  try {
    await pointClaudeAt(ctx, client, api);
    // An agent session of the real profile, idle at its prompt: its key file and base URL are the broker's.
    await client.createSession({ name, repo, agent: 'claude', image: SESSION_IMAGE });
    const read = async (cmd) => (await client.exec(name, cmd)).stdout.toString('utf8').trim();
    const placeholder = await read(['cat', `${SECRETS_MOUNT}/ANTHROPIC_API_KEY`]);
    const broker = await read(['printenv', 'ANTHROPIC_BASE_URL']);
    if (!placeholder.startsWith('berth-key-') || !broker.startsWith('http'))
      throw new Error(`session ${name} has no brokered key (${placeholder.slice(0, 12)}…, ${broker})`);
    const rounds = (opts.quick ? ROUNDS_QUICK : ROUNDS) + WARMUP_ROUNDS;
    ctx.log(
      `${op}: ${rounds - WARMUP_ROUNDS} rounds of ${ROUND_BATCH} turns a side, from inside the session`,
    );
    const r = await client.exec(name, [
      'node',
      '-e',
      TURN_SCRIPT,
      broker,
      placeholder,
      api.url,
      DISPATCH_KEY,
      String(rounds),
      String(ROUND_BATCH),
    ]);
    if (r.exitCode !== 0)
      throw new Error(`${op}: the turns failed: ${r.stderr.toString('utf8').slice(0, 400)}`);
    const got = JSON.parse(r.stdout.toString('utf8'));
    for (const round of got.slice(WARMUP_ROUNDS)) keepRound(ctx, op, round.broker, round.raw);
    ctx.loadStats[op] = { rounds: rounds - WARMUP_ROUNDS, requests_per_round: ROUND_BATCH };
  } finally {
    await client.remove(name, true).catch(() => undefined);
    await api.close();
  }
}
