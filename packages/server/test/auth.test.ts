import { statSync } from 'node:fs';
import { BerthClient } from '@berth/api/node';
import { makeRepo } from '@berth/testkit';
import { listenLocal, makeToken, makeUser, testServer } from '@berth/testkit/server';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';

const PASSWORD = 'correct horse battery';

async function listenTcp(t: Awaited<ReturnType<typeof testServer>>): Promise<string> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no TCP address');
  return `http://127.0.0.1:${addr.port}`;
}

function concrete(route: string): { method: string; url: string } {
  const [method, url] = route.split(' ') as [string, string];
  return { method, url: url.replace(/:(\w+)/g, 'x').replace('*', 'x') };
}

describe('auth on TCP', () => {
  it('answers every route but /health, login and logout with 401 problem+json without credentials', async () => {
    const t = await testServer();
    await t.app.ready();
    const open = ['GET /health', 'POST /api/v1/auth/login', 'POST /api/v1/auth/logout'];
    const routes = t.app.berthRoutes.filter((r) => !open.includes(r));
    expect(routes.length).toBeGreaterThan(15);
    for (const route of routes) {
      const { method, url } = concrete(route);
      const r = await t.app.inject({
        method: method as 'GET',
        url,
        headers: { 'content-type': 'application/json' },
        payload: method === 'GET' ? undefined : '{}',
      });
      expect([route, r.statusCode]).toEqual([route, 401]);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json().hint).toMatch(/berth login|Bearer/);
    }
    expect((await t.app.inject('/health')).statusCode).toBe(200);
    // Logging out of no login only makes the browser forget its cookie.
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout' })).statusCode).toBe(204);
  });

  it('needs no token on the unix socket: its file mode is the auth', async () => {
    const t = await testServer();
    const socketPath = await listenLocal(t.app, t.core);
    expect((statSync(socketPath).mode & 0o777).toString(8)).toBe('600');
    const local = new BerthClient({ socketPath });
    expect(await local.listSessions()).toEqual([]);
    expect(await local.daemonInfo()).toMatchObject({ pid: 1 });
  });

  it('refuses a Host header it does not answer to (DNS rebinding)', async () => {
    const t = await testServer();
    const r = await t.inject({ url: '/api/v1/sessions', headers: { host: 'evil.example:8080' } });
    expect(r.statusCode).toBe(403);
    expect(r.json().code).toBe('forbidden');
    expect(
      (await t.inject({ url: '/api/v1/sessions', headers: { host: 'localhost:8080' } })).statusCode,
    ).toBe(200);
  });

  it('a revoked token stops working at once, its open WebSocket included', async () => {
    const t = await testServer();
    const user = await makeUser(t.core, 'amy', 'member');
    const { token, id } = await makeToken(t.core, user.id);
    await t.core.service.create({ name: 'ws', repo: makeRepo(), ownerId: user.id });
    const url = await listenTcp(t);
    const client = new BerthClient({ url, token });
    expect(Array.isArray(await client.listSessions())).toBe(true);
    const ws = client.shell('ws', { cols: 80, rows: 24 });
    onTestFinished(() => ws.terminate());
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const revoke = await t.inject({ method: 'DELETE', url: `/api/v1/tokens/${id}` });
    expect(revoke.statusCode).toBe(204);
    expect(await closed).toBe(4401);
    await expect(client.listSessions()).rejects.toMatchObject({ status: 401 });
  });

  it('refuses the 11th wrong password in a minute with 429, even when the 11th is right', async () => {
    const t = await testServer();
    await makeUser(t.core, 'bob', 'member');
    const login = (password: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username: 'bob', password } });
    for (let i = 0; i < 10; i++) expect((await login('wrong password')).statusCode).toBe(401);
    const eleventh = await login(PASSWORD);
    expect(eleventh.statusCode).toBe(429);
    expect(eleventh.headers['retry-after']).toBeDefined();
    expect(eleventh.json().code).toBe('rate_limited');
  });

  it('a burst of 30 concurrent wrong passwords for one user gets at most the limit of guesses, the rest 429', async () => {
    const t = await testServer();
    await makeUser(t.core, 'bob', 'member');
    const url = await listenTcp(t);
    const guess = (i: number) =>
      fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bob', password: `guess ${i}` }),
      });
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => guess(i)));
    const statuses = answers.map((a) => a.status);
    const checked = statuses.filter((s) => s === 401).length;
    expect(checked).toBeGreaterThanOrEqual(1);
    expect(checked).toBeLessThanOrEqual(10);
    expect(statuses.filter((s) => s === 429).length).toBe(30 - checked);
    for (const a of answers.filter((x) => x.status === 429)) {
      expect(Number(a.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(a.headers.get('content-type')).toContain('application/problem+json');
      expect(((await a.json()) as { hint: string }).hint).toMatch(/wait|try again/i);
    }
  });

  it('logs a browser in with an HttpOnly SameSite cookie and demands the CSRF token for changes', async () => {
    const t = await testServer();
    await makeUser(t.core, 'cat', 'member');
    const r = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { origin: 'http://localhost:80', host: 'localhost:80' },
      payload: { username: 'cat', password: PASSWORD },
    });
    expect(r.statusCode).toBe(200);
    const setCookie = String(r.headers['set-cookie']);
    expect(setCookie).toMatch(/berth_session=berth_/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    const cookie = setCookie.split(';')[0]!;
    const { csrfToken } = r.json();
    const base = { host: 'localhost:80', cookie };
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: base })).json()).toMatchObject({
      kind: 'user',
      via: 'cookie',
      user: { username: 'cat' },
    });
    const repo = makeRepo();
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { ...base, origin: 'http://localhost:80' },
      payload: { name: 'c1', repo },
    });
    expect(noCsrf.statusCode).toBe(403);
    const foreign = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { ...base, origin: 'http://evil.example', 'x-berth-csrf': csrfToken },
      payload: { name: 'c1', repo },
    });
    expect(foreign.statusCode).toBe(403);
    expect(await t.core.service.list()).toEqual([]);
    const ok = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { ...base, origin: 'http://localhost:80', 'x-berth-csrf': csrfToken },
      payload: { name: 'c1', repo },
    });
    expect(ok.statusCode).toBe(201);
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { ...base, 'x-berth-csrf': csrfToken },
    });
    expect(out.statusCode).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/sessions', headers: base })).statusCode).toBe(401);
  });

  it('signs a second tab in although the browser already holds a login cookie (no CSRF token there yet)', async () => {
    const t = await testServer();
    await makeUser(t.core, 'cat', 'member');
    const login = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { origin: 'http://localhost:80', host: 'localhost:80', ...headers },
        payload: { username: 'cat', password: PASSWORD },
      });
    const first = await login({});
    const cookie = String(first.headers['set-cookie']).split(';')[0]!;
    const second = await login({ cookie });
    expect(second.statusCode, second.body).toBe(200);
    expect(second.json().csrfToken).toEqual(expect.any(String));
    // The login's own check still holds: not from another site, cookie or not.
    expect((await login({ cookie, origin: 'http://evil.example' })).statusCode).toBe(403);
  });

  it('logs in and out and answers /health although a preview tossed bogus berth_session cookies in, and clears them', async () => {
    const t = await testServer();
    await makeUser(t.core, 'cat', 'member');
    const browser = { origin: 'http://localhost:80', host: 'localhost:80' };
    // What a hostile preview's script can leave for berth's host: `berth_session=...; Domain=localhost; Path=/api`.
    for (const tossed of ['berth_session=tossed', 'berth_session=tossed; berth_session=berth_also-tossed']) {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { ...browser, cookie: tossed },
        payload: { username: 'cat', password: PASSWORD },
      });
      expect([tossed, r.statusCode, r.body]).toEqual([tossed, 200, expect.any(String)]);
      const set = [r.headers['set-cookie'] ?? []].flat();
      expect(set.filter((c) => /^berth_session=berth_/.test(c))).toEqual([expect.stringMatching(/Path=\/;/)]);
      expect(set).toContainEqual(
        expect.stringMatching(/^berth_session=; Max-Age=0; Domain=localhost; Path=\/api;/),
      );
    }
    expect(
      (await t.app.inject({ url: '/health', headers: { ...browser, cookie: 'berth_session=x' } })).statusCode,
    ).toBe(200);
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/logout',
      headers: { ...browser, cookie: 'berth_session=x' },
    });
    expect(out.statusCode).toBe(204);
    // A tossed cookie beside a real login: the logout still ends the real one (its CSRF token says which).
    const real = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: browser,
      payload: { username: 'cat', password: PASSWORD },
    });
    const cookie = String(real.headers['set-cookie']).split(';')[0]!;
    const both = { ...browser, cookie: `berth_session=x; ${cookie}`, 'x-berth-csrf': real.json().csrfToken };
    expect(
      (await t.app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: both })).statusCode,
    ).toBe(204);
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: { ...browser, cookie } })).statusCode).toBe(
      401,
    );
    expect([out.headers['set-cookie']].flat()).toContainEqual(
      expect.stringMatching(/^berth_session=; Max-Age=0; Path=\/;/),
    );
  });

  it('refuses a request carrying two berth_session cookies instead of serving it as the first', async () => {
    const t = await testServer();
    await makeUser(t.core, 'cat', 'member');
    await makeUser(t.core, 'eve', 'member');
    const browser = { origin: 'http://localhost:80', host: 'localhost:80' };
    const loginCookie = async (username: string) => {
      const r = await t.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: browser,
        payload: { username, password: PASSWORD },
      });
      return String(r.headers['set-cookie']).split(';')[0]!;
    };
    const cat = await loginCookie('cat');
    // Eve's own valid login, tossed in for a longer path, comes first: the request would be Eve's.
    const eve = await loginCookie('eve');
    for (const cookie of [`${eve}; ${cat}`, `${cat}; berth_session=bogus`, `berth_session=bogus; ${cat}`]) {
      const r = await t.app.inject({ url: '/api/v1/auth/me', headers: { ...browser, cookie } });
      expect([cookie, r.statusCode]).toEqual([cookie, 401]);
      expect(r.json().hint).toMatch(/clear .*cookies/);
      const set = [r.headers['set-cookie'] ?? []].flat();
      expect(set).toContainEqual(
        expect.stringMatching(/^berth_session=; Max-Age=0; Domain=localhost; Path=\/api;/),
      );
      // Berth's own cookie (this host only, Path=/) stays: clearing the tossed ones is enough.
      expect(set.filter((c) => !/Domain=/.test(c) && /Path=\/;/.test(c))).toEqual([]);
    }
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { ...browser, cookie: cat } });
    expect(me.json()).toMatchObject({ user: { username: 'cat' } });
  });

  it('refuses a WebSocket from a foreign Origin', async () => {
    const t = await testServer();
    await t.core.service.create({ name: 'org', repo: makeRepo() });
    const url = await listenTcp(t);
    const attempt = (origin: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${url.replace('http', 'ws')}/api/v1/sessions/org/shell`, {
          headers: { authorization: `Bearer ${t.adminToken}`, origin },
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => {
          ws.close();
          resolve(101);
        });
        ws.on('error', () => undefined);
      });
    expect(await attempt('http://evil.example')).toBe(403);
    expect(await attempt(url)).toBe(101);
  });

  it('lets only admins manage users, and members only their own tokens', async () => {
    const t = await testServer();
    const member = await makeUser(t.core, 'dan', 'member');
    const { token } = await makeToken(t.core, member.id);
    const asMember = (o: { method?: string; url: string; payload?: object }) =>
      t.app.inject({
        method: (o.method ?? 'GET') as 'GET',
        url: o.url,
        payload: o.payload,
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await asMember({ url: '/api/v1/users' })).statusCode).toBe(403);
    expect(
      (await asMember({ method: 'POST', url: '/api/v1/users', payload: { username: 'eve', role: 'admin' } }))
        .statusCode,
    ).toBe(403);
    const created = await asMember({ method: 'POST', url: '/api/v1/tokens', payload: { name: 'laptop' } });
    expect(created.statusCode).toBe(201);
    expect(created.json().token).toMatch(/^berth_[A-Za-z0-9_-]{43}$/);
    const list = await asMember({ url: '/api/v1/tokens' });
    expect(list.json().tokens.map((x: { name: string }) => x.name)).toEqual(['test', 'laptop']);
    expect(JSON.stringify(list.json())).not.toContain('berth_');
    const adminTokens = await t.inject('/api/v1/tokens');
    const adminTokenId = adminTokens.json().tokens[0].id;
    // Someone else's token is as good as absent.
    expect((await asMember({ method: 'DELETE', url: `/api/v1/tokens/${adminTokenId}` })).statusCode).toBe(
      404,
    );
    expect((await t.inject('/api/v1/sessions')).statusCode).toBe(200);
  });
});
