import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCore } from '@berth/testkit';
import { testServer } from '@berth/testkit/server';
import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { registerAuth } from '../src/auth/auth.js';
import { registerProblemHandler } from '../src/problems.js';
import { registerDashboard } from '../src/routes/dashboard.js';

const INDEX =
  '<!doctype html><div id="root"></div><script type="module" src="/assets/index-Ab12.js"></script>';

/** A built dashboard in a temp dir, and a secret file beside it that must never be served. */
function builtDashboard(): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-web-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const dist = join(dir, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'index-Ab12.js'), 'console.log("berth")');
  writeFileSync(join(dist, '.env'), 'SECRET=1');
  writeFileSync(join(dir, 'secret.txt'), 'SECRET=2');
  return dist;
}

/** The real auth hook and the dashboard over `root`, plus one API route that needs credentials. */
async function appWith(root: string): Promise<FastifyInstance> {
  const core = await testCore();
  const app = Fastify({ logger: false });
  onTestFinished(() => app.close());
  registerProblemHandler(app);
  await app.register(cookie);
  registerAuth(app, { accounts: core.store.accounts, secret: randomBytes(32), publicHosts: [] });
  app.get('/api/v1/sessions', async () => ({ sessions: [] }));
  await registerDashboard(app, { root });
  return app;
}

const page = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('the dashboard on TCP', () => {
  it('serves its page at / and at client-side addresses without credentials, uncached and locked down', async () => {
    const app = await appWith(builtDashboard());
    for (const url of ['/', '/login', '/sessions/fix-login', '/new?x=1']) {
      const r = await app.inject({ url, headers: page });
      expect([url, r.statusCode, r.body]).toEqual([url, 200, INDEX]);
      expect(r.headers['content-type']).toContain('text/html');
      expect(r.headers['cache-control']).toBe('no-cache');
      expect(r.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
    const again = await app.inject({
      url: '/',
      headers: { ...page, 'if-none-match': String((await app.inject('/')).headers.etag) },
    });
    expect(again.statusCode).toBe(304);
  });

  it('loads even with a login cookie that has ended, so the login page can ask for a new one', async () => {
    const app = await appWith(builtDashboard());
    const r = await app.inject({
      url: '/',
      headers: { ...page, cookie: 'berth_session=revoked-or-expired' },
    });
    expect(r.statusCode).toBe(200);
  });

  it('serves hashed assets with a year-long immutable cache', async () => {
    const app = await appWith(builtDashboard());
    const r = await app.inject('/assets/index-Ab12.js');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toContain('javascript');
    expect(r.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await app.inject({ method: 'HEAD', url: '/assets/index-Ab12.js' })).statusCode).toBe(200);
  });

  it('keeps the API behind credentials: unknown API paths and other methods still answer 401', async () => {
    const app = await appWith(builtDashboard());
    for (const [method, url] of [
      ['GET', '/api/v1/sessions'],
      ['GET', '/api/v1/nothing-here'],
      ['GET', '/api/v1'],
      ['POST', '/'],
      ['DELETE', '/assets/index-Ab12.js'],
    ] as const) {
      const r = await app.inject({ method, url, headers: page });
      expect([method, url, r.statusCode]).toEqual([method, url, 401]);
      expect(r.headers['content-type']).toContain('application/problem+json');
    }
  });

  it('serves nothing outside its files: no dotfiles, no traversal, no page for non-HTML clients', async () => {
    const app = await appWith(builtDashboard());
    for (const url of [
      '/.env',
      '/assets/missing-123.js',
      '/assets/..%2f..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/missing.js',
    ]) {
      const r = await app.inject({ url, headers: page });
      expect([url, r.statusCode]).toEqual([url, 404]);
      expect(r.body).not.toContain('SECRET');
    }
    const api = await app.inject({ url: '/sessions/x', headers: { accept: 'application/json' } });
    expect(api.statusCode).toBe(404);
    expect(api.headers['content-type']).toContain('application/problem+json');
  });

  it('still refuses a Host it does not answer to (DNS rebinding)', async () => {
    const app = await appWith(builtDashboard());
    const r = await app.inject({ url: '/', headers: { ...page, host: 'evil.example' } });
    expect(r.statusCode).toBe(403);
  });

  it('says how to build it when it is not built', async () => {
    const app = await appWith(join(tmpdir(), 'berth-no-such-dist'));
    const r = await app.inject({ url: '/', headers: page });
    expect(r.statusCode).toBe(404);
    expect(r.headers['content-type']).toContain('application/problem+json');
    expect(r.json()).toMatchObject({ code: 'not_found', hint: expect.stringContaining('npm run build') });
  });

  it('is wired into the server: / answers without credentials, the API does not, and no route is added', async () => {
    const t = await testServer();
    await t.app.ready();
    const r = await t.app.inject({ url: '/', headers: page });
    // Built or not (this suite does not build it), the answer is the dashboard's, never a 401.
    expect([200, 404]).toContain(r.statusCode);
    if (r.statusCode === 404) expect(r.json().hint).toContain('npm run build');
    expect((await t.app.inject({ url: '/api/v1/sessions', headers: page })).statusCode).toBe(401);
    expect(
      t.app.berthRoutes.filter((x) => !x.includes('/api/') && !x.startsWith('GET /docs')).sort(),
    ).toEqual(['DELETE /mcp', 'GET /health', 'GET /mcp', 'GET /metrics', 'POST /mcp']);
  });
});
