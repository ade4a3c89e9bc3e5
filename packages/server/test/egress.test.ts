import type { AddressInfo } from 'node:net';
import { makeRepo } from '@berth/testkit';
import { makeToken, makeUser, testServer } from '@berth/testkit/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished } from 'vitest';

// The egress proxy is not yet wired into sessions' networks here: the decisions are fed to
// core.egressLog.record directly, as the proxy will.

describe('GET /api/v1/sessions/:name/egress', () => {
  it("answers the session's egress policy and its decisions, newest first, to whoever may see it", async () => {
    const t = await testServer();
    const repo = makeRepo();
    const amy = await makeUser(t.core, 'amy', 'member');
    const cat = await makeUser(t.core, 'cat', 'member');
    const as = async (userId: string) => {
      const { token } = await makeToken(t.core, userId);
      return (url: string) => t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
    };
    const amyGet = await as(amy.id);
    const catGet = await as(cat.id);
    const made = await t.app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'net', repo },
      headers: { authorization: `Bearer ${(await makeToken(t.core, amy.id)).token}` },
    });
    expect(made.statusCode).toBe(201);
    const session = await t.core.service.get('net');

    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    const record = (host: string, port: number, allowed: boolean, reason: string, s: number) =>
      t.core.egressLog.record({ sessionId: session.id, host, port, allowed, reason, at: at(s) });
    record('registry.example.org', 443, true, 'on the allow-list', 1);
    record('registry.example.org', 443, true, 'on the allow-list', 3);
    record('evil.example.net', 443, false, 'not on the allow-list', 2);
    record('10.0.0.1', 22, false, 'a private address', 4);

    const r = await amyGet('/api/v1/sessions/net/egress');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      egress: session.egress,
      decisions: [
        {
          host: '10.0.0.1',
          port: 22,
          allowed: false,
          reason: 'a private address',
          count: 1,
          firstAt: at(4),
          lastAt: at(4),
        },
        {
          host: 'registry.example.org',
          port: 443,
          allowed: true,
          reason: 'on the allow-list',
          count: 2,
          firstAt: at(1),
          lastAt: at(3),
        },
        {
          host: 'evil.example.net',
          port: 443,
          allowed: false,
          reason: 'not on the allow-list',
          count: 1,
          firstAt: at(2),
          lastAt: at(2),
        },
      ],
    });
    // By id too, and an admin sees it.
    expect((await t.inject(`/api/v1/sessions/${session.id}/egress`)).json().decisions).toHaveLength(3);

    // Someone who may not see the session gets what every session route answers: no such session.
    const hidden = await catGet('/api/v1/sessions/net/egress');
    const absent = await catGet('/api/v1/sessions/nothing-here/egress');
    expect(hidden.statusCode).toBe(404);
    expect(hidden.json().detail).toBe("no session named 'net'");
    expect(absent.statusCode).toBe(404);
    expect((await catGet('/api/v1/sessions/net')).json().detail).toBe(hidden.json().detail);

    // The session's rows go with it.
    expect((await t.inject({ method: 'DELETE', url: '/api/v1/sessions/net?force=true' })).statusCode).toBe(
      204,
    );
    expect(await t.core.store.egressLog.list(session.id)).toEqual([]);
  });

  it('is the MCP tool session_egress too', async () => {
    const t = await testServer();
    await t.core.service.create({ name: 'tool', repo: makeRepo() });
    const session = await t.core.store.update((await t.core.service.get('tool')).id, {
      egress: { mode: 'allowlist', allow: ['registry.example.org'] },
    });
    t.core.egressLog.record({
      sessionId: session.id,
      host: 'evil.example.net',
      port: 443,
      allowed: false,
      reason: 'not on the allow-list',
      at: new Date().toISOString(),
    });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const client = new Client({ name: 'berth-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', base), {
        requestInit: { headers: { authorization: `Bearer ${t.adminToken}` } },
      }),
    );
    onTestFinished(() => client.close());
    const r = (await client.callTool({
      name: 'session_egress',
      arguments: { name: 'tool' },
    })) as CallToolResult;
    expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({
      egress: session.egress,
      decisions: [{ host: 'evil.example.net', port: 443, allowed: false, count: 1 }],
    });
    const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
    expect(text).toContain('egress: allowlist (registry.example.org)');
    expect(text).toContain('refused evil.example.net:443 ×1: not on the allow-list');
    const missing = (await client.callTool({
      name: 'session_egress',
      arguments: { name: 'nope' },
    })) as CallToolResult;
    expect(missing.isError).toBe(true);
  });
});
