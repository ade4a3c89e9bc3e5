// dashboard_first_load: the web dashboard (signed in, the list_sessions sessions in the store) in
// headless Chromium with a fresh context each time, from navigation start until the session list
// shows every row, against a static page with the same rows from a bare node:http server on
// loopback. It also reports the dashboard's gzipped JS size.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { iterationTag } from '../harness.mjs';
import { root } from '../util.mjs';

/** Debian's Chromium, loads a side after warm-up, and the rows it waits for. */
const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const FIRST_LOADS = 10;
const FIRST_LOAD_WARMUP = 2;
const SESSION_ROWS = '.session-card, .session-table tbody tr';
const WEB_DIST = join(root, 'packages/web/dist');

export const rows = [
  {
    name: 'dashboard_first_load',
    what:
      'the dashboard in headless Chromium (fresh context: cold cache), navigation start to every session' +
      ' row shown, vs a static page of as many rows from a bare node:http server on loopback',
  },
];

export function notes(ctx, shown) {
  const lines = [];
  const first = shown.find((r) => r.name === 'dashboard_first_load');
  if (first) {
    lines.push(
      `  dashboard_first_load: ${first.sessions} sessions, ${FIRST_LOADS} cold loads a side after ${FIRST_LOAD_WARMUP}` +
        ' warm-up, signed in by cookie; n = loads',
    );
  }
  const js = ctx.report.dashboardJsGzipBytes;
  if (js !== null) {
    lines.push(
      `  dashboard JS: ${(js / 1024).toFixed(1)} KiB gzipped (${js.toLocaleString('en-US')}` +
        ' bytes, sum of packages/web/dist/assets/*.js, gzip -9)',
    );
  }
  return lines;
}

/** Sum of the gzipped sizes of the dashboard's JS files; null when it is not built. */
async function dashboardJsGzipBytes() {
  const dir = join(WEB_DIST, 'assets');
  if (!existsSync(dir)) return null;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.js'));
  let total = 0;
  for (const f of files) total += gzipSync(await readFile(join(dir, f)), { level: 9 }).length;
  return total;
}

/** The raw side: the same number of rows as static HTML (cards, as the dashboard shows by default). */
function staticListPage(sessions) {
  const esc = (v) => String(v ?? '').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const cards = sessions
    .map(
      (s) =>
        `<li class="session-card"><a href="/sessions/${esc(s.name)}">${esc(s.name)}</a>` +
        `<span class="status">${esc(s.status)}</span><dl><dt>Repository</dt><dd>${esc(s.repo)}</dd>` +
        `<dt>Branch</dt><dd><code>${esc(s.branch)}</code></dd><dt>Age</dt><dd>${esc(s.createdAt)}</dd></dl></li>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sessions</title></head><body><main><h1>Sessions</h1><ul class="session-cards">\n${cards}\n</ul></main></body></html>\n`;
}

/** Serves `html` on loopback until the run's cleanup. */
async function startStaticServer(ctx, html) {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
    });
    res.end(html);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  ctx.defer(() => {
    server.close();
    server.closeAllConnections?.();
  });
  return `http://127.0.0.1:${server.address().port}/`;
}

/**
 * One cold load: a fresh context (empty cache), and the time, on the page's own clock (0 is
 * navigation start), when the list first holds `rows` rows, seen by a MutationObserver.
 */
async function firstLoad(browser, url, rows, init) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    if (init) await init(context);
    await context.addInitScript(
      ({ selector, want }) => {
        const check = () => {
          if (window.__rowsAt === undefined && document.querySelectorAll(selector).length >= want) {
            window.__rowsAt = performance.now();
          }
        };
        new MutationObserver(check).observe(document, { childList: true, subtree: true });
        document.addEventListener('DOMContentLoaded', check);
      },
      { selector: SESSION_ROWS, want: rows },
    );
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit', timeout: 30_000 });
    await page.waitForFunction(() => window.__rowsAt !== undefined, null, { timeout: 30_000 });
    return await page.evaluate(() => window.__rowsAt);
  } finally {
    await context.close();
  }
}

export async function run(ctx) {
  const op = 'dashboard_first_load';
  ctx.report.dashboardJsGzipBytes = await dashboardJsGzipBytes();
  if (ctx.report.dashboardJsGzipBytes === null) {
    ctx.skipped[op] = 'the dashboard is not built (run `npm run build`)';
    return;
  }
  if (!existsSync(CHROMIUM)) {
    ctx.skipped[op] =
      `no Chromium at ${CHROMIUM} (install Debian's chromium, or run \`node scripts/setup.mjs --for-tests\` as root)`;
    return;
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    ctx.skipped[op] = 'playwright-core is not installed (run `npm ci`)';
    return;
  }
  const { client, port } = await ctx.daemon();
  ctx.log('dashboard first load in Chromium, with the list_sessions sessions in the store');
  const sessions = await client.listSessions();
  const base = `http://127.0.0.1:${port}`;
  // Signed in once through the API: each fresh context gets the cookie and this tab's CSRF token.
  const username = `bench-${ctx.runId}`;
  const password = `bench ${randomUUID()}`;
  await client.createUser({ username, password, role: 'admin' });
  const { cookie, csrfToken } = await client.login(username, password);
  const eq = cookie.indexOf('=');
  const signIn = async (context) => {
    await context.addCookies([{ name: cookie.slice(0, eq), value: cookie.slice(eq + 1), url: base }]);
    await context.addInitScript((token) => sessionStorage.setItem('berth.csrf', token), csrfToken);
  };
  const rawUrl = await startStaticServer(ctx, staticListPage(sessions));
  ctx.log(`${op}: ${sessions.length} sessions, Chromium at ${CHROMIUM}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  ctx.defer(() => browser.close().catch(() => undefined));
  const sides = {
    berth: () => firstLoad(browser, `${base}/`, sessions.length, signIn),
    raw: () => firstLoad(browser, rawUrl, sessions.length),
  };
  for (let i = 0; i < FIRST_LOAD_WARMUP + FIRST_LOADS; i++) {
    ctx.checkInterrupted();
    const measured = i >= FIRST_LOAD_WARMUP;
    const order = i % 2 === 0 ? ['berth', 'raw'] : ['raw', 'berth'];
    const got = {};
    for (const side of order) got[side] = await sides[side]();
    if (measured) {
      ctx.samples[op].berth.push(got.berth);
      ctx.samples[op].raw.push(got.raw);
      ctx.samples[op].paired.push(got.berth / got.raw);
    }
    const tag = iterationTag(i, FIRST_LOAD_WARMUP, FIRST_LOADS);
    ctx.log(`${op} ${tag}: dashboard ${got.berth.toFixed(1)} ms, static page ${got.raw.toFixed(1)} ms`);
  }
  ctx.loadStats[op] = { sessions: sessions.length };
  await browser.close();
}
