// list_sessions: the daemon's busiest read, `GET /api/v1/sessions` with 100 real sessions in its
// store, loaded from a few keep-alive clients for a fixed time, against a bare node:http server
// on a unix socket (in its own process, as the daemon is) sending the same JSON. Its sessions stay
// for dashboard_first_load.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { percentile, round2 } from '../harness.mjs';
import { makeRepo, SMALL_SESSION_MEMORY, stopChild } from '../util.mjs';

/** Sessions in the store (fewer with --quick), clients, and seconds of load a side. */
export const LIST_SESSIONS = 100;
export const LIST_SESSIONS_QUICK = 20;
const LIST_CLIENTS = 4;
const LIST_SECONDS = 5;

export const rows = [
  {
    name: 'list_sessions',
    what:
      "GET /api/v1/sessions, one request's latency under load (see below) vs a bare node:http server" +
      ' on a unix socket serializing the same JSON',
    load: true,
  },
];
/** The dashboard row loads a list of these sessions. */
export const alsoFor = ['dashboard_first_load'];

export function notes(_ctx, shown) {
  const list = shown.find((r) => r.name === 'list_sessions');
  if (!list) return [];
  const n = (v) => v.toLocaleString('en-US');
  return [
    `  list_sessions: ${list.sessions} sessions (${n(list.body_bytes)}-byte body), ${list.clients} keep-alive` +
      ` clients, ${list.seconds_per_side} s a side: berth ${n(list.rps)} req/s (p99 ${list.p99_ms.toFixed(1)} ms),` +
      ` raw ${n(list.raw_rps)} req/s (p99 ${list.raw_p99_ms.toFixed(1)} ms): ${list.rps_ratio.toFixed(2)}x the raw` +
      ' throughput; n = requests',
  ];
}

/** `count` real sessions, a few at a time; each is a running busybox with a small memory limit. */
async function makeSessions(ctx, client, repo, count) {
  const names = Array.from({ length: count }, (_, i) => `list-${String(i).padStart(3, '0')}`);
  const t0 = performance.now();
  let made = 0;
  const worker = async () => {
    for (let name = names.shift(); name; name = names.shift()) {
      ctx.checkInterrupted();
      await client.createSession({ name, repo, memoryBytes: SMALL_SESSION_MEMORY });
      made++;
      if (made % 10 === 0) ctx.log(`  ${made}/${count} sessions`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  ctx.log(`made ${count} sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function getOnce(agent, socketPath, path) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ agent, socketPath, path, headers: { host: 'localhost' } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `clients` keep-alive connections, each sending its next request as the last one ends, for `ms`. */
async function load(socketPath, path, clients, ms) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const latencies = [];
  let failures = 0;
  const t0 = performance.now();
  const until = t0 + ms;
  const client = async () => {
    while (performance.now() < until) {
      const start = performance.now();
      const status = await getOnce(agent, socketPath, path);
      latencies.push(performance.now() - start);
      if (status !== 200) failures++;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  if (failures > 0) throw new Error(`${failures} of ${latencies.length} requests to ${path} failed`);
  return { latencies, requests: latencies.length, seconds };
}

/** The raw side: node:http on a unix socket, in its own process as the daemon is, answering the same JSON. */
async function startRawServer(ctx, bodyFile, socketPath) {
  const script = `
    const http = require('node:http');
    const data = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
    http.createServer((req, res) => {
      const body = JSON.stringify(data);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }).listen(process.argv[2], () => process.stdout.write('ready\\n'));`;
  const child = spawn(process.execPath, ['-e', script, bodyFile, socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  ctx.defer(() => stopChild(child, 3_000));
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve);
    child.once('exit', (code) => reject(new Error(`the raw HTTP server exited (${code})`)));
  });
  return child;
}

export async function run(ctx) {
  const op = 'list_sessions';
  const { opts, tmpRoot } = ctx;
  const { client, socketPath } = await ctx.daemon();
  const sessions = opts.quick ? LIST_SESSIONS_QUICK : LIST_SESSIONS;
  const repo = await makeRepo(join(tmpRoot, 'repos', 'list'), 10);
  ctx.log(`making ${sessions} sessions for list_sessions${opts.quick ? ' (--quick)' : ''}`);
  await makeSessions(ctx, client, repo, sessions);
  const listed = await client.listSessions();
  if (listed.length < sessions)
    throw new Error(`the daemon lists ${listed.length} sessions, not ${sessions}`);
  const path = '/api/v1/sessions';
  const bodyFile = join(tmpRoot, 'sessions.json');
  await writeFile(bodyFile, JSON.stringify({ sessions: listed }));
  const rawSocket = join(tmpRoot, 'raw-http.sock');
  const rawServer = await startRawServer(ctx, bodyFile, rawSocket);
  const sides = { berth: socketPath, raw: rawSocket };
  const throughput = { berth: { requests: 0, seconds: 0 }, raw: { requests: 0, seconds: 0 } };
  // Warm both (JIT, connection set-up), then raw, berth, berth, raw: drift hits both alike.
  for (const side of ['berth', 'raw']) await load(sides[side], path, LIST_CLIENTS, 500);
  for (const side of ['raw', 'berth', 'berth', 'raw']) {
    ctx.checkInterrupted();
    const r = await load(sides[side], path, LIST_CLIENTS, (LIST_SECONDS * 1000) / 2);
    ctx.samples[op][side].push(...r.latencies);
    throughput[side].requests += r.requests;
    throughput[side].seconds += r.seconds;
    ctx.log(`${op} ${side}: ${(r.requests / r.seconds).toFixed(0)} req/s over ${r.seconds.toFixed(1)} s`);
  }
  const rps = (side) => throughput[side].requests / throughput[side].seconds;
  ctx.loadStats[op] = {
    sessions,
    clients: LIST_CLIENTS,
    seconds_per_side: LIST_SECONDS,
    body_bytes: Buffer.byteLength(JSON.stringify({ sessions: listed })),
    rps: Math.round(rps('berth')),
    raw_rps: Math.round(rps('raw')),
    rps_ratio: round2(rps('berth') / rps('raw')),
    p99_ms: round2(percentile(ctx.samples[op].berth, 99)),
    raw_p99_ms: round2(percentile(ctx.samples[op].raw, 99)),
  };
  await stopChild(rawServer, 3_000);
}
