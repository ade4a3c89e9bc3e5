// The server is faked at the seam: fetch answers from a route table.
import { describe, expect, it, vi } from 'vitest';
import { fakeFetch, json, problem } from '../test/fake-fetch';
import { makeSession } from '../test/sessions';
import { ApiError } from './api-error';
import { ApiClient, shellPath, webSocketUrl } from './client';
import { CsrfToken } from './csrf-token';

const client = (routes: Parameters<typeof fakeFetch>[0], token: string | null = 'csrf-1') => {
  const server = fakeFetch(routes);
  const csrf = new CsrfToken(null);
  if (token) csrf.set(token);
  const onUnauthorized = vi.fn();
  return { api: new ApiClient({ csrf, fetch: server.fetch, onUnauthorized }), server, csrf, onUnauthorized };
};

/** A body that arrives in pieces cut anywhere, even inside a line. */
function chunked(text: string, size: number): Response {
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      for (let i = 0; i < bytes.length; i += size) c.enqueue(bytes.slice(i, i + size));
      c.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'application/x-ndjson' } });
}

describe('ApiClient', () => {
  it('sends the CSRF token on changes only', async () => {
    const s = makeSession();
    const { api, server } = client({
      'GET /api/v1/sessions/fix-login': () => json(s),
      'POST /api/v1/sessions/fix-login/pause': () => json(s),
    });
    await api.getSession('fix-login');
    await api.act('fix-login', 'pause');
    expect(server.calls[0]!.headers['x-berth-csrf']).toBeUndefined();
    expect(server.calls[1]!.headers['x-berth-csrf']).toBe('csrf-1');
  });

  it('keeps the CSRF token from login and forgets it at logout', async () => {
    const { api, csrf } = client(
      {
        'POST /api/v1/auth/login': () =>
          json({ user: { id: 'u', username: 'ann', role: 'admin', createdAt: '' }, csrfToken: 'new' }),
        'POST /api/v1/auth/logout': () => new Response(null, { status: 204 }),
      },
      null,
    );
    await api.login('ann', 'pw');
    expect(csrf.get()).toBe('new');
    await api.logout();
    expect(csrf.get()).toBeNull();
  });

  it('throws problem details with their hint, and tells the app about a 401', async () => {
    const { api, onUnauthorized } = client({
      'GET /api/v1/sessions': () => problem(401, 'unauthorized', 'your login has ended', 'log in again'),
      'POST /api/v1/auth/login': () => problem(401, 'unauthorized', 'wrong username or password'),
    });
    const err = await api.listSessions().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 401,
      code: 'unauthorized',
      hint: 'log in again',
      message: 'your login has ended',
    });
    expect(onUnauthorized).toHaveBeenCalledOnce();
    await api.login('ann', 'bad').catch(() => undefined);
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('turns a page that is not problem+json, and no answer at all, into problems', async () => {
    const { api } = client({
      'GET /api/v1/sessions': () => new Response('<h1>Bad gateway</h1>', { status: 502 }),
      'GET /api/v1/config': () => Promise.reject(new TypeError('Failed to fetch')),
    });
    await expect(api.listSessions()).rejects.toMatchObject({ status: 502, message: '<h1>Bad gateway</h1>' });
    await expect(api.config()).rejects.toMatchObject({ status: 0, code: 'network' });
  });

  it('reads the create stream line by line, however it is cut', async () => {
    const s = makeSession();
    const text = `${JSON.stringify({ progress: 'branch' })}\n${JSON.stringify({ progress: 'container' })}\n${JSON.stringify({ session: s })}\n`;
    const { api } = client({ 'POST /api/v1/sessions': () => chunked(text, 7) });
    const steps: string[] = [];
    expect(await api.createSession({ name: 'fix-login', repo: '/r' }, (p) => steps.push(p))).toEqual(s);
    expect(steps).toEqual(['branch', 'container']);
  });

  it('throws the problem that ends a create stream', async () => {
    const p = {
      type: 't',
      title: 't',
      status: 409,
      code: 'conflict',
      detail: "a session named 'x' already exists",
    };
    const { api } = client({
      'POST /api/v1/sessions': () => chunked(`${JSON.stringify({ problem: p })}\n`, 5),
    });
    await expect(api.createSession({ name: 'x', repo: '/r' }, () => undefined)).rejects.toMatchObject({
      status: 409,
      code: 'conflict',
    });
  });

  it('removes with force only when asked, and escapes names in paths', async () => {
    const { api, server } = client({
      'DELETE /api/v1/sessions/a%2Fb': () => new Response(null, { status: 204 }),
    });
    await api.remove('a/b', false);
    await api.remove('a/b', true);
    expect(server.calls.map((c) => c.url)).toEqual([
      '/api/v1/sessions/a%2Fb',
      '/api/v1/sessions/a%2Fb?force=true',
    ]);
  });
});

describe('WebSocket addresses', () => {
  it('use ws: or wss: on the page’s own host', () => {
    expect(webSocketUrl('/api/v1/events', 'http://localhost:8080/sessions/x')).toBe(
      'ws://localhost:8080/api/v1/events',
    );
    expect(webSocketUrl(shellPath('x', { cols: 80, rows: 24 }), 'https://berth.example/')).toBe(
      'wss://berth.example/api/v1/sessions/x/shell?cols=80&rows=24',
    );
  });
});
