// preview_http: a small page GET from a preview (busybox httpd in a session) through berth's
// host-port forwarder and through the berth server's preview proxy (the cookie from a ticket),
// each against the same GET straight to the IP of a container of the same image serving the same
// page with the same httpd on berth's shared network (the host cannot reach a filtered session's
// own IP).
import { mkdir, writeFile } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  iterationTag,
  keepRound,
  median,
  ROUND_BATCH,
  ROUNDS,
  ROUNDS_QUICK,
  WARMUP_ROUNDS,
} from '../harness.mjs';
import { git, SMALL_SESSION_MEMORY } from '../util.mjs';

/** busybox's httpd as the dev server. */
const PREVIEW_PORT = 8080;
const PREVIEW_COMMAND = ['httpd', '-f', '-p', String(PREVIEW_PORT), '-h', '/workspace'];

export const rows = [
  {
    name: 'preview_http_forward',
    what:
      "GET / of a preview (busybox httpd) on berth's host port 127.0.0.1:hostPort (the daemon's HTTP forwarder: berth's cookies out, loopback Host names only)" +
      " vs the same GET straight to a container's IP:port (the same httpd and page, raw)",
    requests: true,
  },
  {
    name: 'preview_http_proxy',
    what:
      'GET / of the same preview through the berth server, `<name>.preview.localhost:<port>` with the cookie a' +
      " ticket gave, vs the same GET straight to a container's IP:port (the same httpd and page, raw)",
    requests: true,
  },
];

export function notes(_ctx, shown) {
  const preview = shown.find((r) => r.name.startsWith('preview_http'));
  if (!preview) return [];
  return [
    `  preview_http: ${preview.rounds} rounds after ${WARMUP_ROUNDS} warm-up, ${preview.requests_per_round}` +
      ' sequential GETs a side a round (a 1.2 KB page), the three sides in turn, one keep-alive agent each; busybox' +
      " httpd closes every connection, so each GET pays a connect (and the forwarder's and the proxy's own connect" +
      ' to the container); n = requests; paired = median of the per-round median ratios',
  ];
}

/** A repository whose whole content is a small web page, the preview's document root. */
async function makePageRepo(dir, marker) {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  const para = '<p>lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n'.repeat(16);
  await writeFile(
    join(dir, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>${marker}</title></head><body><h1>${marker}</h1>\n${para}</body></html>\n`,
  );
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', 'bench: a page']);
  return dir;
}

/** One GET over `agent`; resolves with its status, body and time in ms. */
function httpGet(agent, target, path = '/') {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(
      { agent, host: target.host, port: target.port, path, headers: target.headers, timeout: 10_000 },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`GET ${path} from ${target.host}:${target.port} timed out`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The raw side: the same dev server on the same page in a container of the same image, on
 * berth's shared network, where the host reaches it at its IP. A berth session's own IP is on its
 * filtered network, which has no host address (berth dials it through the relay). Removed at the
 * run's cleanup, with everything labelled with the run.
 */
async function rawDevServer(ctx, repo) {
  const { raw } = ctx;
  const { user } = await ctx.repo100();
  await raw.ensureNetwork();
  const container = await raw.createContainer(
    raw.containerSpec(`berth-bench-raw-${ctx.runId}-preview`, repo, user, {
      command: PREVIEW_COMMAND,
      memoryBytes: SMALL_SESSION_MEMORY,
    }),
  );
  await container.start();
  const info = await container.inspect();
  const ip = info.NetworkSettings?.Networks?.[raw.network]?.IPAddress;
  if (!ip) throw new Error(`the raw preview container has no IP address on ${raw.network}`);
  return ip;
}

export async function run(ctx) {
  const { opts } = ctx;
  const { client, port } = await ctx.daemon();
  ctx.log('preview HTTP: straight to the container, through the host port, through the berth server');
  const name = 'bench-preview';
  const marker = `berth bench page ${ctx.runId}`;
  const repo = await makePageRepo(join(ctx.tmpRoot, 'repos', 'page'), marker);
  const session = await client.createSession({
    name,
    repo,
    memoryBytes: SMALL_SESSION_MEMORY,
    preview: { command: PREVIEW_COMMAND, port: PREVIEW_PORT },
  });
  const hostPort = session.preview?.hostPort;
  if (!hostPort)
    throw new Error(`session ${name} has no preview host port: ${JSON.stringify(session.preview)}`);
  const ip = await rawDevServer(ctx, repo);
  // The ticket, followed as a browser would: a 303 on the preview's own host with its cookie.
  const ticket = await client.previewTicket(name);
  const u = new URL(ticket.url);
  const auth = await httpGet(
    undefined,
    { host: '127.0.0.1', port, headers: { host: u.host } },
    `${u.pathname}${u.search}`,
  );
  const cookie = String([auth.headers['set-cookie'] ?? []].flat()[0] ?? '').split(';')[0];
  if (auth.status !== 303 || !cookie) throw new Error(`the preview ticket gave ${auth.status}, no cookie`);

  // One keep-alive agent a side (busybox's httpd still closes each connection after its answer).
  const agents = [];
  const side = (host, p, headers) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return { agent, target: { host, port: p, headers } };
  };
  const sides = {
    raw: side(ip, PREVIEW_PORT, { host: `localhost:${PREVIEW_PORT}` }),
    forward: side('127.0.0.1', hostPort, { host: `127.0.0.1:${hostPort}` }),
    proxy: side('127.0.0.1', port, { host: u.host, cookie }),
  };
  try {
    for (const [key, s] of Object.entries(sides)) {
      const r = await httpGet(s.agent, s.target);
      if (r.status !== 200 || !r.body.includes(marker))
        throw new Error(`preview GET (${key}) answered ${r.status}: ${r.body.slice(0, 200)}`);
    }
    const rounds = opts.quick ? ROUNDS_QUICK : ROUNDS;
    const orders = [
      ['raw', 'forward', 'proxy'],
      ['proxy', 'raw', 'forward'],
      ['forward', 'proxy', 'raw'],
    ];
    ctx.log(`preview_http: ${rounds} rounds of ${ROUND_BATCH} GETs a side, container ${ip}:${PREVIEW_PORT}`);
    for (let i = 0; i < WARMUP_ROUNDS + rounds; i++) {
      ctx.checkInterrupted();
      const got = {};
      for (const key of orders[i % orders.length]) {
        const { agent, target } = sides[key];
        const ms = [];
        for (let n = 0; n < ROUND_BATCH; n++) {
          const r = await httpGet(agent, target);
          if (r.status !== 200) throw new Error(`preview GET (${key}) answered ${r.status}`);
          ms.push(r.ms);
        }
        got[key] = ms;
      }
      if (i >= WARMUP_ROUNDS) {
        keepRound(ctx, 'preview_http_forward', got.forward, got.raw);
        keepRound(ctx, 'preview_http_proxy', got.proxy, got.raw);
      }
      const med = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, median(v)]));
      ctx.log(
        `preview_http ${iterationTag(i, WARMUP_ROUNDS, rounds)}: median ms raw ${med.raw.toFixed(2)}, forwarder ${med.forward.toFixed(2)}, proxy ${med.proxy.toFixed(2)}`,
      );
    }
    for (const op of ['preview_http_forward', 'preview_http_proxy']) {
      ctx.loadStats[op] = { rounds, requests_per_round: ROUND_BATCH };
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  // Untimed: the session goes, and with it the forwarder and the host port's lease.
  await client.remove(name, true);
}
