import type { AddressInfo } from 'node:net';
import { makeRepo } from '@berth/testkit';
import { testServer } from '@berth/testkit/server';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket from 'ws';

const WEBSOCKET_ROUTES = ['/api/v1/sessions/web/shell', '/api/v1/sessions/web/attach', '/api/v1/events'];

describe('WebSocket routes asked for without an upgrade', () => {
  it('answer 426 problem+json with Upgrade: websocket and a hint, even for a running session', async () => {
    const t = await testServer();
    const s = await t.core.service.create({ name: 'web', repo: makeRepo() });
    expect(s.status).toBe('running');
    for (const url of WEBSOCKET_ROUTES) {
      const r = await t.inject({ method: 'GET', url });
      expect([url, r.statusCode, r.headers['content-type']]).toEqual([
        url,
        426,
        expect.stringContaining('application/problem+json'),
      ]);
      expect(r.headers.upgrade).toBe('websocket');
      expect(r.json()).toMatchObject({
        type: 'urn:berth:problem:upgrade_required',
        status: 426,
        code: 'upgrade_required',
        detail: `GET ${url} answers only a WebSocket upgrade`,
        hint: expect.stringContaining('open it as a WebSocket'),
      });
    }
  });

  it('answer a session that is not there as a 404 problem, before the missing upgrade', async () => {
    const t = await testServer();
    for (const url of ['/api/v1/sessions/nope/shell', '/api/v1/sessions/nope/attach']) {
      const r = await t.inject({ method: 'GET', url });
      expect([url, r.statusCode, r.headers['content-type']]).toEqual([
        url,
        404,
        expect.stringContaining('application/problem+json'),
      ]);
      expect(r.json()).toMatchObject({ code: 'not_found', detail: "no session named 'nope'" });
    }
  });

  it('over real HTTP: a plain fetch gets the problem, the same client carries on, and an upgrade still opens', async () => {
    const t = await testServer();
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const headers = { authorization: `Bearer ${t.adminToken}` };
    const r = await fetch(`http://${base}/api/v1/events`, { headers });
    expect([r.status, r.headers.get('content-type'), r.headers.get('upgrade')]).toEqual([
      426,
      'application/problem+json; charset=utf-8',
      'websocket',
    ]);
    expect(((await r.json()) as { code: string }).code).toBe('upgrade_required');
    expect((await fetch(`http://${base}/health`, { headers })).status).toBe(200);

    const ws = new WebSocket(`ws://${base}/api/v1/events`, { headers });
    onTestFinished(() => ws.terminate());
    const first = await new Promise<string>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(d.toString('utf8')));
      ws.once('error', reject);
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'hello' });
  });
});
