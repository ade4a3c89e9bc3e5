import { request } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import type { Core } from '@berth/core';
import { BUSYBOX_IMAGE, makeRepo, testCore } from '@berth/testkit';
import { makeToken, makeUser, type TestServer, testServer } from '@berth/testkit/server';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const NODE_IMAGE = 'berth-test/node:1';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real HTTP request to 127.0.0.1:port with whatever Host the test names (as a browser would send). */
function send(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, timeout: 20_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function listenTcp(t: TestServer): Promise<number> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return (t.app.server.address() as AddressInfo).port;
}

/** The API's ticket for a preview, over real TCP: its URL names the preview's own host. */
async function ticket(t: TestServer, port: number, name: string, token = t.adminToken) {
  const r = await send(
    port,
    `/api/v1/sessions/${name}/preview/ticket`,
    { authorization: `Bearer ${token}` },
    'POST',
  );
  return { status: r.status, body: JSON.parse(r.body) as { url: string; origin: string; expiresAt: string } };
}

/**
 * Two previews from one repo: `echo`, its echo.sh run per connection by busybox nc, and `other`,
 * busybox httpd; the two origins a cross-preview test needs.
 */
async function echoAndOther(core: Core, repo: string): Promise<void> {
  await core.service.create({
    name: 'echo',
    repo,
    preview: { command: ['nc', '-ll', '-p', '8080', '-e', 'sh', '/workspace/echo.sh'], port: 8080 },
  });
  await core.service.create({
    name: 'other',
    repo,
    preview: { command: ['httpd', '-f', '-p', '8080'], port: 8080 },
  });
}

/** Follows a ticket URL as a browser would: returns the preview host and its cookie. */
async function signIn(port: number, url: string): Promise<{ host: string; cookie: string; answer: Answer }> {
  const u = new URL(url);
  const answer = await send(port, `${u.pathname}${u.search}`, { host: u.host });
  const set = [answer.headers['set-cookie'] ?? []].flat()[0] ?? '';
  return { host: u.host, cookie: set.split(';')[0] ?? '', answer };
}

function nextMessage(ws: WebSocket, want: (m: { type?: string }) => boolean, ms: number) {
  return new Promise<{ type?: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no matching message on the HMR socket')), ms);
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as { type?: string };
      if (want(m)) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
}

describe('previews through the berth server', () => {
  it('runs a real Vite dev server: npm install in the session, the page and HMR through the proxy, and the host port', async () => {
    const core = await testCore({ defaultImage: NODE_IMAGE, previewReadySeconds: 120 });
    const t = await testServer(core);
    const port = await listenTcp(t);
    const repo = makeRepo({
      'package.json': JSON.stringify({
        name: 'demo',
        private: true,
        type: 'module',
        devDependencies: { vite: '^5.4.0' },
      }),
      '.gitignore': 'node_modules/\n',
      'index.html':
        '<!doctype html><html><body><h1>berth vite demo</h1><script type="module" src="/main.js"></script></body></html>\n',
      'main.js': "document.querySelector('h1').textContent = 'version one';\n",
    });
    const created = await t.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { accept: 'application/x-ndjson' },
      payload: { name: 'vite', repo, preview: true },
    });
    const lines = created.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { progress?: string; session?: Record<string, never>; problem?: unknown });
    expect(lines.at(-1)?.problem).toBeUndefined();
    const steps = lines.map((l) => l.progress).filter(Boolean);
    expect(steps).toContain('installing dependencies (npm install)');
    expect(steps).toContain('waiting for the preview to answer on port 5173');
    const s = lines.at(-1)?.session as unknown as { kind: string; preview: { hostPort: number } };
    expect(s.kind).toBe('preview');
    expect(s.preview).toMatchObject({ projectType: 'vite', containerPort: 5173, ready: true });
    const hostPort = s.preview.hostPort as number;

    // On the leased host port directly.
    const direct = await send(hostPort, '/', { host: `127.0.0.1:${hostPort}` });
    expect(direct.status).toBe(200);
    expect(direct.body).toContain('berth vite demo');

    // Through the server, on the preview's own origin.
    const tk = await ticket(t, port, 'vite');
    expect(tk.status).toBe(200);
    expect(tk.body.origin).toBe(`http://vite.preview.localhost:${port}/`);
    const { host, cookie, answer } = await signIn(port, tk.body.url);
    expect(answer.status).toBe(303);
    const page = await send(port, '/', { host, cookie });
    expect(page.status).toBe(200);
    expect(page.body).toContain('berth vite demo');
    expect(page.body).toContain('/@vite/client');
    const main = await send(port, '/main.js', { host, cookie });
    expect(main.body).toContain('version one');
    const client = await send(port, '/@vite/client', { host, cookie });
    const wsToken = /wsToken = "([^"]+)"/.exec(client.body)?.[1];

    // The HMR WebSocket through the proxy, then an edit in the session reaches it.
    const ws = new WebSocket(
      `ws://127.0.0.1:${port}/${wsToken ? `?token=${encodeURIComponent(wsToken)}` : ''}`,
      'vite-hmr',
      {
        headers: { host, cookie },
        origin: `http://${host}`,
      },
    );
    const opened = nextMessage(ws, (m) => m.type === 'connected', 20_000);
    await opened;
    const update = nextMessage(ws, (m) => m.type === 'update' || m.type === 'full-reload', 30_000);
    const edit = await core.service.exec('vite', [
      'sh',
      '-c',
      "echo \"document.querySelector('h1').textContent = 'version two';\" > main.js",
    ]);
    expect(edit.exitCode).toBe(0);
    expect((await update).type).toMatch(/update|full-reload/);
    ws.close();
    expect((await send(port, '/main.js', { host, cookie })).body).toContain('version two');

    expect((await core.service.exec('vite', ['test', '-x', 'node_modules/.bin/vite'])).exitCode).toBe(0);
    // node_modules never lands in the session's commits.
    const st = await core.service.exec('vite', ['git', 'status', '--porcelain']);
    expect(st.stdout.toString()).not.toContain('node_modules');
  }, 300_000);

  it('guards previews: ticket, cookie per preview host, no berth credentials forwarded, never the API', async () => {
    const core = await testCore({ defaultImage: BUSYBOX_IMAGE });
    const t = await testServer(core);
    const port = await listenTcp(t);
    // A dev server that records each request's headers in /tmp/req.log and answers "ok".
    const repo = makeRepo({
      'echo.sh':
        'while IFS= read -r line; do line=$(printf \'%s\' "$line" | tr -d \'\\r\'); [ -z "$line" ] && break; echo "$line" >> /tmp/req.log; done\n' +
        "printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok'\n",
    });
    await echoAndOther(core, repo);
    const echoHost = `echo.preview.localhost:${port}`;

    // No ticket, no cookie: 401 with a hint; a WebSocket upgrade likewise.
    const bare = await send(port, '/', { host: echoHost });
    expect(bare.status).toBe(401);
    expect(bare.body).toContain('berth preview echo --open');
    const wsStatus = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { host: echoHost } });
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(-1));
    });
    expect(wsStatus).toBe(401);

    // A forged ticket, or another session's, is refused.
    expect(
      (
        await send(port, '/__berth/preview-auth?ticket=ticket.x.local.9999999999.nonce.forged', {
          host: echoHost,
        })
      ).status,
    ).toBe(403);
    const otherTicket = await ticket(t, port, 'other');
    const otherUrl = new URL(otherTicket.body.url);
    expect((await send(port, `${otherUrl.pathname}${otherUrl.search}`, { host: echoHost })).status).toBe(403);

    // A good ticket becomes an HttpOnly, SameSite=Lax cookie for this preview host only.
    const { host, cookie, answer } = await signIn(port, (await ticket(t, port, 'echo')).body.url);
    expect(host).toBe(echoHost);
    expect(answer.status).toBe(303);
    expect(answer.headers.location).toBe('/');
    const setCookie = String([answer.headers['set-cookie']].flat()[0]);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    expect(setCookie).not.toMatch(/Domain=/i);

    // With it the dev server answers, and never sees berth's cookies or Authorization.
    const ok = await send(port, '/page', {
      host,
      cookie: `berth_session=dashboard-login; ${cookie}; theme=dark`,
      authorization: `Bearer ${t.adminToken}`,
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('ok');
    const seen = (await core.service.exec('echo', ['cat', '/tmp/req.log'])).stdout.toString();
    const pageRequest = seen.slice(seen.indexOf('GET /page'));
    expect(pageRequest).toMatch(/^cookie: theme=dark$/im);
    expect(pageRequest).toMatch(/Host: localhost:8080/i);
    expect(seen).not.toContain('berth_');
    expect(seen).not.toContain(t.adminToken);
    expect(seen.toLowerCase()).not.toContain('authorization');

    // The preview host never serves the API, even with an admin's token: the dev server answers.
    const api = await send(port, '/api/v1/sessions', {
      host,
      cookie,
      authorization: `Bearer ${t.adminToken}`,
    });
    expect(api.body).toBe('ok');
    const apiNoCookie = await send(port, '/api/v1/sessions', {
      host,
      authorization: `Bearer ${t.adminToken}`,
    });
    expect(apiNoCookie.status).toBe(401);
    expect(apiNoCookie.headers['content-type']).toMatch(/text\/plain/);

    // A ticket works once: a leaked link cannot be replayed.
    const once = await ticket(t, port, 'echo');
    expect((await signIn(port, once.body.url)).answer.status).toBe(303);
    expect((await signIn(port, once.body.url)).answer.status).toBe(403);

    // The cookie lasts only as long as the token it came from: revoked, the preview closes.
    const admin2 = await makeUser(core, 'admin2', 'admin');
    const second = await makeToken(core, admin2.id);
    const viaSecond = await signIn(port, (await ticket(t, port, 'echo', second.token)).body.url);
    expect((await send(port, '/', { host, cookie: viaSecond.cookie })).status).toBe(200);
    await core.store.accounts.revokeToken(second.id, new Date().toISOString());
    await new Promise((r) => setTimeout(r, 2_100));
    const revoked = await send(port, '/', { host, cookie: viaSecond.cookie });
    expect(revoked.status).toBe(401);
    expect(revoked.body).toContain('login has ended');

    // One preview's cookie does not open another's.
    expect((await send(port, '/', { host: `other.preview.localhost:${port}`, cookie })).status).toBe(401);
    // A preview name under a host the server does not answer to is refused like any unknown host.
    expect((await send(port, '/api/v1/sessions', { host: 'echo.preview.evil.example', cookie })).status).toBe(
      403,
    );

    // Tickets are for those who may see the session: others get the same 404 as a missing one.
    const member = await makeUser(core, 'member', 'member');
    const { token } = await makeToken(core, member.id);
    expect((await ticket(t, port, 'echo', token).catch(() => ({ status: 0 }))).status).toBe(404);

    // A stopped session's preview answers 503 and the host port is free.
    await core.service.stop('other');
    expect((await t.inject({ url: '/api/v1/sessions/other' })).json().preview.hostPort).toBeNull();
  }, 120_000);

  it('survives a hostile dev server: a status outside 100-599 is a 502 for that request, the server goes on', async () => {
    const core = await testCore({ defaultImage: BUSYBOX_IMAGE });
    const t = await testServer(core);
    const port = await listenTcp(t);
    // Answers every request with the status line the request's path names (`/000` → `HTTP/1.1 000 X`).
    const repo = makeRepo({
      'bad.sh':
        'IFS= read -r line; code=$(printf \'%s\' "$line" | cut -d" " -f2 | tr -d "/"); [ -n "$code" ] || code=200; ' +
        'while IFS= read -r l; do l=$(printf \'%s\' "$l" | tr -d \'\\r\'); [ -z "$l" ] && break; done; ' +
        'printf "HTTP/1.1 %s X\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok" "$code"\n',
    });
    await core.service.create({
      name: 'hostile',
      repo,
      preview: { command: ['nc', '-ll', '-p', '8080', '-e', 'sh', '/workspace/bad.sh'], port: 8080 },
    });
    const { host, cookie } = await signIn(port, (await ticket(t, port, 'hostile')).body.url);
    expect((await send(port, '/200', { host, cookie })).status).toBe(200);
    for (const code of ['000', '099', '600', '999']) {
      const r = await send(port, `/${code}`, { host, cookie });
      expect([code, r.status]).toEqual([code, 502]);
      expect(r.body).toContain("session 'hostile'");
    }
    // The server is still there for everyone, and the preview for its next request.
    expect((await send(port, '/health')).status).toBe(200);
    expect((await send(port, '/200', { host, cookie })).status).toBe(200);
  });

  it('survives 1,000 hostile answers (bad statuses, huge headers, resets, garbage) with its memory flat', async () => {
    const core = await testCore({ defaultImage: NODE_IMAGE });
    const t = await testServer(core);
    const port = await listenTcp(t);
    // One raw TCP server: what it answers depends on the path, none of it HTTP a proxy should pass on.
    const hostile = [
      "const net = require('net');",
      'const answers = {',
      "  status: 'HTTP/1.1 000 X\\r\\nContent-Length: 0\\r\\n\\r\\n',",
      "  header: 'HTTP/1.1 200 OK\\r\\nX-Big: ' + 'a'.repeat(200000) + '\\r\\n\\r\\n',",
      "  many: 'HTTP/1.1 200 OK\\r\\n' + 'X-H: 1\\r\\n'.repeat(20000) + '\\r\\n',",
      "  garbage: 'HTTP/1.1 100 Continue\\r\\n\\r\\n\\u0000\\u0001 not http at all',",
      "  ok: 'HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok',",
      '};',
      'net.createServer((c) => {',
      "  c.on('error', () => {});",
      "  c.once('data', (d) => {",
      '    const kind = (/^\\S+ \\/(\\w+)/.exec(d.toString()) || [])[1];',
      "    if (kind === 'reset') return c.resetAndDestroy();",
      "    if (kind === 'hang') return c.end();",
      '    c.end(answers[kind] || answers.ok);',
      '  });',
      "}).listen(8080, '0.0.0.0');",
    ].join('\n');
    await core.service.create({
      name: 'flood',
      repo: makeRepo({ 'hostile.js': `${hostile}\n` }),
      preview: { command: ['node', '/workspace/hostile.js'], port: 8080 },
    });
    const { host, cookie } = await signIn(port, (await ticket(t, port, 'flood')).body.url);
    expect((await send(port, '/ok', { host, cookie })).status).toBe(200);
    const kinds = ['status', 'header', 'many', 'garbage', 'reset', 'hang'];
    const askAll = async (from: number, count: number) => {
      const statuses = new Map<string, number>();
      for (let i = from; i < from + count; i += 10) {
        await Promise.all(
          Array.from({ length: 10 }, async (_, j) => {
            const kind = kinds[(i + j) % kinds.length]!;
            const r = await send(port, `/${kind}`, { host, cookie });
            statuses.set(`${kind} ${r.status}`, (statuses.get(`${kind} ${r.status}`) ?? 0) + 1);
          }),
        );
      }
      return statuses;
    };
    await askAll(0, 100); // warm: what the first requests allocate is not a leak
    global.gc?.();
    const before = process.memoryUsage().rss;
    const statuses = await askAll(100, 1000);
    const grown = process.memoryUsage().rss - before;
    // Every one a 502 for that request alone; nothing reached the browser as the dev server sent it.
    expect(
      [...statuses.keys()].every((k) => k.endsWith(' 502')),
      [...statuses.keys()].join(', '),
    ).toBe(true);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(1000);
    expect(grown, `the daemon's memory grew by ${Math.round(grown / 1024 / 1024)} MiB`).toBeLessThan(
      32 * 1024 * 1024,
    );
    expect((await send(port, '/health')).status).toBe(200);
    expect((await send(port, '/ok', { host, cookie })).status).toBe(200);
  }, 240_000);

  it("drops a hostile dev server's cookies for berth: berth_ names and Domain= wider than the preview, on pages and upgrades", async () => {
    const core = await testCore({ defaultImage: BUSYBOX_IMAGE });
    const t = await testServer(core);
    const port = await listenTcp(t);
    // Answers every request with cookies meant to toss berth's own or reach berth's host; an upgrade with a 101.
    const cookies = [
      'berth_session=tossed; Path=/api',
      'berth_preview=tossed; Path=/',
      'BERTH_SESSION=tossed',
      'wide=1; Domain=localhost; Path=/',
      'wider=1; domain=.LOCALHOST',
      'siblings=1; Domain=preview.localhost',
      'theme=dark; Path=/',
    ];
    const head = cookies.map((c) => `Set-Cookie: ${c}\\r\\n`).join('');
    const repo = makeRepo({
      'cookies.sh':
        'up=; while IFS= read -r line; do line=$(printf \'%s\' "$line" | tr -d \'\\r\'); [ -z "$line" ] && break; case "$line" in [Uu]pgrade:*) up=1;; esac; done\n' +
        'if [ -n "$up" ]; then printf \'HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
        head +
        "\\r\\n'; sleep 1; else printf 'HTTP/1.1 200 OK\\r\\n" +
        head +
        "Content-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok'; fi\n",
    });
    await core.service.create({
      name: 'cookies',
      repo,
      preview: { command: ['nc', '-ll', '-p', '8080', '-e', 'sh', '/workspace/cookies.sh'], port: 8080 },
    });
    const { host, cookie } = await signIn(port, (await ticket(t, port, 'cookies')).body.url);
    const page = await send(port, '/', { host, cookie });
    expect(page.status).toBe(200);
    expect(page.body).toBe('ok');
    expect([page.headers['set-cookie']].flat()).toEqual(['theme=dark; Path=/']);

    // The same answer to a WebSocket upgrade, read as the browser would get it.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () =>
        socket.write(
          `GET /hmr HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        ),
      );
      let got = '';
      socket.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
      socket.on('close', () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1.1 101 /);
    const setCookies = answer.split('\r\n').filter((l) => /^set-cookie:/i.test(l));
    expect(setCookies).toEqual(['Set-Cookie: theme=dark; Path=/']);
  });

  it("refuses another page's POSTs and WebSocket upgrades before the dev server sees them, and tries every preview cookie", async () => {
    const core = await testCore({ defaultImage: BUSYBOX_IMAGE });
    const t = await testServer(core);
    const port = await listenTcp(t);
    // A dev server that logs each request line in /tmp/req.log and answers "ok".
    const repo = makeRepo({
      'echo.sh':
        "IFS= read -r first; printf '%s\\n' \"$first\" | tr -d '\\r' >> /tmp/req.log; " +
        'while IFS= read -r line; do line=$(printf \'%s\' "$line" | tr -d \'\\r\'); [ -z "$line" ] && break; done\n' +
        "printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok'\n",
    });
    await echoAndOther(core, repo);
    const { host, cookie } = await signIn(port, (await ticket(t, port, 'echo')).body.url);
    const own = `http://${host}`;
    const foreign = `http://other.preview.localhost:${port}`;

    for (const [path, origin] of [
      ['/cross-post', foreign],
      ['/null-post', 'null'],
      ['/dashboard-post', `http://localhost:${port}`],
    ] as const) {
      const r = await send(port, path, { host, cookie, origin }, 'POST');
      expect([path, r.status]).toEqual([path, 403]);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(JSON.parse(r.body).hint).toMatch(/preview/);
    }
    expect((await send(port, '/same-post', { host, cookie, origin: own }, 'POST')).status).toBe(200);
    expect((await send(port, '/no-origin-post', { host, cookie }, 'POST')).status).toBe(200);
    // A GET from another page is a plain load (an image, a link): it passes.
    expect((await send(port, '/cross-get', { host, cookie, origin: foreign })).status).toBe(200);

    const upgrade = (path: string, origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers: { host, cookie }, origin });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => resolve(-1));
      });
    expect(await upgrade('/cross-ws', foreign)).toBe(403);
    // Same origin: it reaches the dev server (which answers it with a plain 200).
    expect(await upgrade('/same-ws', own)).toBe(200);

    const seen = (await core.service.exec('echo', ['cat', '/tmp/req.log'])).stdout.toString();
    expect(seen).toMatch(/^POST \/same-post /m);
    expect(seen).toMatch(/^POST \/no-origin-post /m);
    expect(seen).toMatch(/^GET \/same-ws /m);
    expect(seen).not.toMatch(/cross-post|null-post|dashboard-post|cross-ws/);

    // Another preview's cookie first (tossed in for a parent domain), this one's second: it still opens.
    const otherCookie = (await signIn(port, (await ticket(t, port, 'other')).body.url)).cookie;
    expect((await send(port, '/two-cookies', { host, cookie: `${otherCookie}; ${cookie}` })).status).toBe(
      200,
    );
    expect(
      (await send(port, '/forged', { host, cookie: 'berth_preview=cookie.x.local.9999999999.n.forged' }))
        .status,
    ).toBe(401);
  });

  it('POST /preview starts a preview on a running session and the CLI-facing ticket names its origin', async () => {
    const core = await testCore({ defaultImage: BUSYBOX_IMAGE });
    const t = await testServer(core);
    const repo = makeRepo({ 'index.html': '<p>later</p>\n' });
    await core.service.create({ name: 'late', repo });
    const none = await t.inject({ method: 'POST', url: '/api/v1/sessions/late/preview/ticket' });
    expect(none.statusCode).toBe(409);
    const started = await t.inject({ method: 'POST', url: '/api/v1/sessions/late/preview', payload: {} });
    expect(started.statusCode, started.body).toBe(200);
    expect(started.json()).toMatchObject({
      kind: 'preview',
      preview: { projectType: 'static', ready: true },
    });
    const bad = await t.inject({
      method: 'POST',
      url: '/api/v1/sessions/late/preview',
      payload: { port: 0 },
    });
    expect(bad.statusCode).toBe(400);
  });
});
