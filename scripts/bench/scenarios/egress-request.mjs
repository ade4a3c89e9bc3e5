// egress_request: HTTPS GETs of the npm registry's ping from a container on a session network of
// berth's egress gateway (the relay, then the daemon-side proxy deciding on the allow-list, a
// fresh connection each), against the same GETs from a container straight out on the plain
// session network. The gateway and proxy run in this process, as the daemon runs them.
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DockerRuntime } from '@berth/core';
import { keepRound, median, ROUND_BATCH, ROUNDS, ROUNDS_QUICK, WARMUP_ROUNDS } from '../harness.mjs';
import { SESSION_IMAGE, sessionImageExists } from '../scripted-api.mjs';
import { run as runCommand } from '../util.mjs';

export const rows = [
  {
    name: 'egress_request',
    what:
      "an HTTPS GET from a session through berth's egress path (its own network, the relay, the daemon's proxy" +
      ' deciding on the allow-list, a fresh connection each) vs the same GET from a container straight out',
    requests: true,
  },
];

/** Run in each container (Node 24 honours HTTPS_PROXY with NODE_USE_ENV_PROXY=1): BATCH GETs. */
const EGRESS_SCRIPT = `
const https = require('https');
const [url, batch] = process.argv.slice(1);
const agent = new https.Agent({ keepAlive: false, proxyEnv: process.env });
function get() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    https.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error('status ' + res.statusCode))));
    }).on('error', reject);
  });
}
(async () => {
  const out = [];
  for (let i = 0; i < Number(batch); i++) out.push(await get());
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

/** Small: the containers only run a GET loop. */
const CONTAINER_MEMORY = 256 * 1024 ** 2;

export async function run(ctx) {
  const op = 'egress_request';
  const { docker, opts, raw } = ctx;
  if (!(await sessionImageExists(docker))) {
    ctx.skipped[op] = `image ${SESSION_IMAGE} is missing (run \`node scripts/setup.mjs --for-tests\`)`;
    return;
  }
  const { EgressGateway } = await import('../../../packages/core/dist/egress/egress-gateway.js');
  const { EgressProxy } = await import('../../../packages/core/dist/egress/egress-proxy.js');
  const { parseAllowEntry } = await import('../../../packages/core/dist/egress/egress-policy.js');
  const registry = new URL((await runCommand('npm', ['config', 'get', 'registry'])).trim());
  const url = `${registry.origin}/-/ping`;
  const egressHome = join(ctx.tmpRoot, 'egress-home');
  await mkdir(egressHome, { recursive: true });
  const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => quiet };
  const policy = { mode: 'allowlist', allow: [parseAllowEntry(registry.hostname)] };
  const proxy = new EgressProxy({ logger: quiet, record: () => {} });
  // The engine side of the gateway as the daemon's is: its relay host on the same engine client.
  const relayHost = new DockerRuntime({ home: egressHome, docker }).relayHost();
  const gateway = new EgressGateway({
    host: relayHost,
    home: egressHome,
    logger: quiet,
    image: SESSION_IMAGE,
    proxy,
    policyOf: async () => policy,
  });
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  const containers = [];
  const sessionId = randomUUID();
  try {
    await gateway.start();
    const net = await gateway.createSessionNetwork(sessionId);
    await raw.ensureNetwork();
    const make = async (network, env) => {
      const c = await docker.createContainer({
        Image: SESSION_IMAGE,
        Cmd: ['sleep', 'infinity'],
        User: '1000:1000',
        Env: [`NODE_EXTRA_CA_CERTS=${ca}`, 'HOME=/tmp', ...env],
        Labels: raw.labels,
        HostConfig: { NetworkMode: network, Binds: [`${ca}:${ca}:ro`], Memory: CONTAINER_MEMORY },
      });
      containers.push(c);
      await c.start();
      return c;
    };
    const proxyUrl = `http://${net.relay}:3128`;
    const sides = {
      berth: await make(net.name, [
        `HTTPS_PROXY=${proxyUrl}`,
        `https_proxy=${proxyUrl}`,
        'NODE_USE_ENV_PROXY=1',
      ]),
      raw: await make(raw.network, []),
    };
    const batch = async (c) =>
      JSON.parse(
        await runCommand('docker', ['exec', c.id, 'node', '-e', EGRESS_SCRIPT, url, String(ROUND_BATCH)]),
      );
    const rounds = opts.quick ? ROUNDS_QUICK : ROUNDS;
    ctx.log(`${op}: ${rounds} rounds of ${ROUND_BATCH} GETs of ${url} a side, fresh connections`);
    for (let i = 0; i < WARMUP_ROUNDS + rounds; i++) {
      ctx.checkInterrupted();
      const got = {};
      for (const side of i % 2 === 0 ? ['berth', 'raw'] : ['raw', 'berth'])
        got[side] = await batch(sides[side]);
      if (i < WARMUP_ROUNDS) continue;
      keepRound(ctx, op, got.berth, got.raw);
      ctx.log(
        `${op} ${i - WARMUP_ROUNDS + 1}/${rounds}: median ms egress ${median(got.berth).toFixed(1)}, straight ${median(got.raw).toFixed(1)}`,
      );
    }
    ctx.loadStats[op] = { rounds, requests_per_round: ROUND_BATCH };
  } finally {
    for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
    await gateway.removeSessionNetwork(sessionId).catch(() => undefined);
    await gateway.close();
    await docker
      .getNetwork(gateway.egressNetwork)
      .remove()
      .catch(() => undefined);
    proxy.close();
  }
}
