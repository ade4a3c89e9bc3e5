import type { AddressInfo } from 'node:net';
import { agentCore, makeRepo } from '@berth/testkit';
import { makeToken, makeUser, type TestServer, testServer } from '@berth/testkit/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished } from 'vitest';

const LOG = '/home/berth/.stand-in/conversation.log';

async function cat(t: TestServer, name: string, path: string): Promise<string> {
  const r = await t.core.service.exec(name, ['cat', path]);
  return r.stdout.toString('utf8');
}

const post = (t: TestServer, url: string, payload: unknown, token?: string) =>
  t.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(payload),
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
  });

describe('sending an agent its next prompt and waiting for it (REST)', () => {
  it('waits for idle, sends, waits again; refuses bad bodies, non-agent sessions and sessions one may not see', async () => {
    const t = await testServer(await agentCore());
    const repo = makeRepo();
    await t.core.service.create({ name: 'drive', repo, agent: 'stand-in', prompt: 'write a.txt: one' });
    await t.core.service.create({ name: 'plain', repo });

    // Bad bodies: 400 problems, before anything is typed or waited for.
    const bad: [string, unknown][] = [
      ['send', {}],
      ['send', { text: '' }],
      ['send', { text: 5 }],
      ['send', { text: 'x', extra: true }],
      ['send', { text: 'x'.repeat(65537) }],
      ['send', 'write x.txt: no'],
      ['wait', { for: [] }],
      ['wait', { for: ['working'] }],
      ['wait', { for: 'idle' }],
      ['wait', { timeoutSeconds: 0 }],
      ['wait', { timeoutSeconds: 301 }],
      ['wait', { timeoutSeconds: 1.5 }],
      ['wait', { extra: true }],
    ];
    for (const [verb, body] of bad) {
      const r = await post(t, `/api/v1/sessions/drive/${verb}`, body);
      expect([verb, body, r.statusCode]).toEqual([verb, body, 400]);
      expect(r.headers['content-type']).toContain('application/problem+json');
      expect(r.json()).toMatchObject({ code: 'invalid_input' });
    }

    const first = await post(t, '/api/v1/sessions/drive/wait', { for: ['idle'], timeoutSeconds: 60 });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({
      reached: 'idle',
      session: { name: 'drive', agentStatus: 'idle', agentStatusSource: 'guess', task: 'write a.txt: one' },
    });

    const sent = await post(t, '/api/v1/sessions/drive/send', { text: 'write b.txt: two' });
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toMatchObject({ name: 'drive', agentStatus: 'working' });

    const second = await post(t, '/api/v1/sessions/drive/wait', { timeoutSeconds: 60 });
    expect(second.json()).toMatchObject({ reached: 'idle', session: { agentStatus: 'idle' } });
    expect(await cat(t, 'drive', 'b.txt')).toBe('two\n');
    expect(await cat(t, 'drive', LOG)).toContain('write b.txt: two');

    // Nothing to wait for: a short timeout answers `timeout` with what the agent is doing.
    const timedOut = await post(t, '/api/v1/sessions/drive/wait', {
      for: ['needs-input'],
      timeoutSeconds: 1,
    });
    expect(timedOut.json()).toMatchObject({ reached: 'timeout', session: { agentStatus: 'idle' } });

    // A session without an agent: wrong state, with what to do instead.
    for (const verb of ['send', 'wait']) {
      const r = await post(t, `/api/v1/sessions/plain/${verb}`, verb === 'send' ? { text: 'hi' } : {});
      expect(r.statusCode).toBe(409);
      expect(r.json()).toMatchObject({ code: 'illegal_transition', detail: "session 'plain' runs no agent" });
      expect(r.json().hint).toBeTruthy();
    }
    expect((await post(t, '/api/v1/sessions/nobody/wait', {})).statusCode).toBe(404);

    // A member sees neither: the same 404 as a session that does not exist, and nothing is typed.
    const member = await makeUser(t.core, 'mia', 'member');
    const { token } = await makeToken(t.core, member.id);
    const theirs = await post(t, '/api/v1/sessions/drive/send', { text: 'write c.txt: not yours' }, token);
    expect(theirs.statusCode).toBe(404);
    expect(theirs.json()).toMatchObject({ code: 'not_found' });
    expect((await post(t, '/api/v1/sessions/drive/wait', { timeoutSeconds: 1 }, token)).statusCode).toBe(404);
    expect(await cat(t, 'drive', LOG)).not.toContain('not yours');

    // A stopped session takes no prompt; waiting for it to have exited answers at once.
    await t.core.service.stop('drive');
    const stopped = await post(t, '/api/v1/sessions/drive/send', { text: 'write d.txt: too late' });
    expect(stopped.statusCode).toBe(409);
    expect(stopped.json().hint).toContain('berth start drive');
    expect((await post(t, '/api/v1/sessions/drive/wait', {})).json()).toMatchObject({ reached: 'exited' });
    const notExited = await post(t, '/api/v1/sessions/drive/wait', { for: ['idle'] });
    expect(notExited.statusCode).toBe(409);
    expect(notExited.json().hint).toContain('berth start drive');

    const audit = await t.core.store.audit.list({ limit: 50 });
    expect(audit.filter((e) => e.action === 'session.send').length).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('waiting does not count as activity; sending does', async () => {
    const t = await testServer(await agentCore());
    await t.core.service.create({ name: 'idler', repo: makeRepo(), agent: 'stand-in', prompt: 'hi' });
    const before = (await t.core.service.get('idler')).lastActivityAt;
    await new Promise((r) => setTimeout(r, 20));
    await post(t, '/api/v1/sessions/idler/wait', { timeoutSeconds: 1, for: ['needs-input'] });
    expect((await t.core.service.get('idler')).lastActivityAt).toBe(before);
    await post(t, '/api/v1/sessions/idler/send', { text: 'again' });
    expect((await t.core.service.get('idler')).lastActivityAt > before).toBe(true);
  }, 60_000);
});

describe('send_prompt and wait_for_agent (MCP)', () => {
  async function mcp(t: TestServer): Promise<Client> {
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const client = new Client({ name: 'berth-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', base), {
        requestInit: { headers: { authorization: `Bearer ${t.adminToken}` } },
      }),
    );
    onTestFinished(() => client.close());
    return client;
  }
  const call = async (client: Client, name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

  it('drives the stand-in: wait for idle, send a prompt, wait again; errors carry a hint', async () => {
    const t = await testServer(await agentCore());
    await t.core.service.create({
      name: 'tooled',
      repo: makeRepo(),
      agent: 'stand-in',
      prompt: 'write a.txt: one',
    });
    await t.core.service.create({ name: 'plain', repo: makeRepo() });
    const client = await mcp(t);

    const idle = await call(client, 'wait_for_agent', {
      session: 'tooled',
      for: ['idle'],
      timeout_seconds: 60,
    });
    expect(idle.isError, text(idle)).toBeFalsy();
    expect(idle.structuredContent).toMatchObject({
      reached: 'idle',
      session: { name: 'tooled', agentStatus: 'idle' },
    });
    expect(text(idle)).toBe('tooled: idle');

    const sent = await call(client, 'send_prompt', { session: 'tooled', text: 'write b.txt: via mcp' });
    expect(sent.isError, text(sent)).toBeFalsy();
    expect(sent.structuredContent).toMatchObject({ name: 'tooled', agentStatus: 'working' });
    const again = await call(client, 'wait_for_agent', { session: 'tooled', timeout_seconds: 60 });
    expect(again.structuredContent).toMatchObject({ reached: 'idle' });
    expect(await cat(t, 'tooled', 'b.txt')).toBe('via mcp\n');

    const waited = await call(client, 'wait_for_agent', {
      session: 'tooled',
      for: ['exited'],
      timeout_seconds: 1,
    });
    expect(waited.structuredContent).toMatchObject({ reached: 'timeout' });

    const refused = await call(client, 'send_prompt', { session: 'plain', text: 'hi' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toMatch(/runs no agent[\s\S]*hint:[\s\S]*illegal_transition/);
  }, 120_000);
});
