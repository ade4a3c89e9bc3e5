import { request } from 'node:http';
import { openCore } from '@berth/core';
import { testConfig } from '@berth/testkit';
import { makeUser, testServer } from '@berth/testkit/server';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';

/**
 * A TLS reverse proxy in front of berth: the browser is at https://berth.example, the proxy talks
 * plain http to berth from 127.0.0.1, passes the Host on and says `X-Forwarded-Proto: https`.
 * These tests are that proxy, and the same headers sent by someone berth does not trust.
 */
const HOST = 'berth.example';
const PASSWORD = 'correct horse battery';
const FORWARDED = { host: HOST, origin: `https://${HOST}`, 'x-forwarded-proto': 'https' };

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One real HTTP request over TCP from 127.0.0.1 (node's http, which lets us set Host). */
function send(base: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<Answer>((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method,
        headers: { ...headers, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** A berth server on TCP with BERTH_PUBLIC_HOSTS=berth.example and the given environment. */
async function serverWith(env: Record<string, string>) {
  const core = await openCore(testConfig({}, env));
  onTestFinished(() => core.close());
  const t = await testServer(core, { publicHosts: [HOST] });
  await makeUser(core, 'pat', 'member');
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no TCP address');
  return { t, base: `http://127.0.0.1:${addr.port}`, port: addr.port };
}

async function loginThroughProxy(base: string, origin = FORWARDED.origin) {
  const headers = { ...FORWARDED, origin };
  const r = await send(base, 'POST', '/api/v1/auth/login', headers, { username: 'pat', password: PASSWORD });
  expect(r.status).toBe(200);
  const setCookie = String(r.headers['set-cookie']);
  return {
    answer: r,
    setCookie,
    cookie: setCookie.split(';')[0]!,
    csrf: (JSON.parse(r.body) as { csrfToken: string }).csrfToken,
  };
}

/** Opens the events WebSocket with these headers; resolves with 'open' or the refusal's status. */
function openEvents(port: number, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, { headers });
    onTestFinished(() => ws.terminate());
    ws.once('open', () => resolve('open'));
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', () => undefined);
  });
}

describe('behind a TLS reverse proxy (BERTH_TRUST_PROXY)', () => {
  it('from a trusted proxy saying https: Secure login cookie, HSTS, cookie writes and WebSockets from https://host pass', async () => {
    const { base, port } = await serverWith({ BERTH_TRUST_PROXY: '127.0.0.1' });
    const { answer, setCookie, cookie, csrf } = await loginThroughProxy(base);
    expect(setCookie).toMatch(/;\s*Secure/i);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(answer.headers['strict-transport-security']).toBe('max-age=31536000');

    // A cookie-authenticated write from the dashboard's page at https://berth.example.
    const write = await send(
      base,
      'POST',
      '/api/v1/tokens',
      { ...FORWARDED, cookie, 'x-berth-csrf': csrf },
      { name: 'from the dashboard' },
    );
    expect([write.status, write.body]).toEqual([201, expect.any(String)]);
    expect(write.headers['strict-transport-security']).toBe('max-age=31536000');

    // The dashboard's WebSockets carry the cookie and the https Origin too.
    expect(await openEvents(port, { ...FORWARDED, cookie })).toBe('open');
  });

  it('a forged X-Forwarded-Proto from a peer berth does not trust makes nothing https', async () => {
    const untrusted: Record<string, string>[] = [{}, { BERTH_TRUST_PROXY: '10.0.0.0/8' }];
    for (const env of untrusted) {
      const { base } = await serverWith(env);
      const claimed = await send(base, 'POST', '/api/v1/auth/login', FORWARDED, {
        username: 'pat',
        password: PASSWORD,
      });
      expect([env, claimed.status]).toEqual([env, 403]);
      // Signed in from the page the connection really is, the forged header still counts for nothing.
      const { answer, setCookie, cookie, csrf } = await loginThroughProxy(base, `http://${HOST}`);
      expect([env, /;\s*Secure/i.test(setCookie)]).toEqual([env, false]);
      expect(answer.headers['strict-transport-security']).toBeUndefined();
      // The connection is plain http: a page claiming https://berth.example is another origin.
      const write = await send(
        base,
        'POST',
        '/api/v1/tokens',
        { ...FORWARDED, cookie, 'x-berth-csrf': csrf },
        { name: 'forged' },
      );
      expect(write.status).toBe(403);
      expect(write.headers['strict-transport-security']).toBeUndefined();
    }
  });
});
