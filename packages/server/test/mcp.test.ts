import { type IncomingHttpHeaders, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import {
  AGENT_IMAGE,
  agentCore,
  BUSYBOX_IMAGE,
  git,
  makeRepo,
  SESSION_IMAGE,
  testCore,
} from '@berth/testkit';
import { listenLocal, makeToken, makeUser, type TestServer, testServer } from '@berth/testkit/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { buildServer } from '../src/index.js';

const TOOLS = [
  'file_list',
  'file_read',
  'file_write',
  'preview_url',
  'send_prompt',
  'session_cancel',
  'session_create',
  'session_diff',
  'session_egress',
  'session_exec',
  'session_finish',
  'session_get',
  'session_list',
  'wait_for_agent',
];

/** The test server on a TCP loopback port, as `berth serve --tcp` would be. */
async function listenTcp(t: TestServer): Promise<string> {
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
}

/** The official SDK client over Streamable HTTP with a bearer token. */
async function mcpClient(base: string, token: string): Promise<Client> {
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', base), {
    requestInit: { headers: { authorization: `Bearer ${token}` } },
  });
  await client.connect(transport);
  onTestFinished(() => client.close());
  return client;
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

/** A fetch over a unix socket, for the SDK client's `fetch` option (SSE bodies stream through). */
function unixFetch(socketPath: string) {
  return (url: string | URL, init?: RequestInit): Promise<Response> =>
    new Promise((resolve, reject) => {
      const u = new URL(url);
      const req = request(
        {
          socketPath,
          path: `${u.pathname}${u.search}`,
          method: init?.method ?? 'GET',
          headers: Object.fromEntries(new Headers(init?.headers).entries()),
        },
        (res) => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) {
            if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
          }
          const status = res.statusCode ?? 0;
          const body = [204, 205, 304].includes(status) ? null : (Readable.toWeb(res) as ReadableStream);
          resolve(new Response(body, { status, headers }));
        },
      );
      req.on('error', reject);
      init?.signal?.addEventListener('abort', () => req.destroy());
      req.end(typeof init?.body === 'string' ? init.body : undefined);
    });
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('MCP over Streamable HTTP at /mcp', () => {
  it('lists every tool with an input schema and a description', async () => {
    const t = await testServer();
    const client = await mcpClient(await listenTcp(t), t.adminToken);
    expect(client.getServerVersion()?.name).toBe('berth');
    const { tools } = await client.listTools();
    expect(tools.map((x) => x.name).sort()).toEqual(TOOLS);
    for (const tool of tools) {
      expect(tool.description?.length, tool.name).toBeGreaterThan(20);
      expect(tool.inputSchema.type).toBe('object');
    }
    const exec = tools.find((x) => x.name === 'session_exec');
    expect(exec?.inputSchema.required).toEqual(expect.arrayContaining(['name', 'cmd']));
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((r) => r.uriTemplate)).toContain('berth://sessions/{name}/logs');
  });

  it('creates a session, writes a file, runs a command that reads it, shows the diff, and finishes', async () => {
    const t = await testServer();
    const client = await mcpClient(await listenTcp(t), t.adminToken);
    const repo = makeRepo();
    const progress: string[] = [];
    const created = (await client.callTool(
      {
        name: 'session_create',
        arguments: {
          name: 'mcp-flow',
          repo,
          image: SESSION_IMAGE,
          idleTimeoutSeconds: 600,
          idleAction: 'stop',
        },
      },
      undefined,
      { onprogress: (p) => progress.push(p.message ?? '') },
    )) as CallToolResult;
    expect(created.isError, text(created)).toBeFalsy();
    expect(created.structuredContent).toMatchObject({
      name: 'mcp-flow',
      status: 'running',
      branch: 'berth/mcp-flow',
    });
    expect(created.structuredContent).not.toHaveProperty('env');
    expect(progress.length).toBeGreaterThan(0);

    const listed = await call(client, 'session_list', {});
    expect(
      (listed.structuredContent as { sessions: { name: string }[] }).sessions.map((s) => s.name),
    ).toEqual(['mcp-flow']);
    const got = await call(client, 'session_get', { name: 'mcp-flow' });
    expect(got.structuredContent).toMatchObject({
      idle: { timeoutSeconds: 600, action: 'stop' },
      hasContainer: true,
    });

    const wrote = await call(client, 'file_write', {
      name: 'mcp-flow',
      path: 'notes/hello.txt',
      content: 'hello from mcp\n',
    });
    expect(wrote.isError, text(wrote)).toBeFalsy();
    expect(wrote.structuredContent).toEqual({ path: 'notes/hello.txt', size: 15 });

    const ran = await call(client, 'session_exec', {
      name: 'mcp-flow',
      cmd: ['sh', '-c', 'cat notes/hello.txt; echo oops >&2; exit 3'],
    });
    expect(ran.isError).toBeFalsy();
    expect(ran.structuredContent).toEqual({
      exitCode: 3,
      stdout: 'hello from mcp\n',
      stderr: 'oops\n',
      truncated: false,
    });

    const read = await call(client, 'file_read', { name: 'mcp-flow', path: '/workspace/notes/hello.txt' });
    expect(read.structuredContent).toMatchObject({ content: 'hello from mcp\n', size: 15, truncated: false });
    const listing = await call(client, 'file_list', { name: 'mcp-flow', depth: 2 });
    expect(text(listing).split('\n')).toEqual(['README.md', 'notes/', 'notes/hello.txt']);

    const diff = await call(client, 'session_diff', { name: 'mcp-flow' });
    expect(diff.isError, text(diff)).toBeFalsy();
    expect(text(diff)).toContain('+++ b/notes/hello.txt');
    expect(text(diff)).toContain('+hello from mcp');

    const logs = await client.readResource({ uri: 'berth://sessions/mcp-flow/logs' });
    expect(logs.contents[0]?.mimeType).toBe('text/plain');

    // A merge into the checked-out base is refused and changes nothing: the session keeps running.
    const merge = await call(client, 'session_finish', {
      name: 'mcp-flow',
      message: 'Add a note',
      merge: true,
    });
    expect(merge.isError).toBe(true);
    expect(text(merge)).toMatch(/checked out[\s\S]*hint:/);
    expect((await t.core.service.get('mcp-flow')).status).toBe('running');

    const finished = await call(client, 'session_finish', { name: 'mcp-flow', message: 'Add a note' });
    expect(finished.structuredContent).toMatchObject({ status: 'finished' });
    expect(git(repo, 'log', '-1', '--format=%s', 'berth/mcp-flow')).toBe('Add a note');
    expect(git(repo, 'show', 'berth/mcp-flow:notes/hello.txt')).toBe('hello from mcp');

    // Through the same routes as any client: the audit trail names the token's user.
    const audit = await t.core.store.audit.list({ limit: 50 });
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['session.create', 'session.exec']));
    expect(audit.every((e) => e.actor.startsWith('user:admin-'))).toBe(true);
  }, 120_000);

  it('creates an agent session with a made-up name; the agent’s edit shows in session_diff', async () => {
    const t = await testServer(await agentCore());
    const client = await mcpClient(await listenTcp(t), t.adminToken);
    const repo = makeRepo();
    const nameless = await call(client, 'session_create', { repo });
    expect(nameless.isError).toBe(true);
    expect(text(nameless)).toMatch(/needs a name unless an agent runs in it[\s\S]*hint:/);
    const created = await call(client, 'session_create', {
      repo,
      agent: 'stand-in',
      prompt: 'write from-mcp.txt: the agent was here',
    });
    expect(created.isError, text(created)).toBeFalsy();
    const s = created.structuredContent as { name: string };
    expect(s).toMatchObject({ kind: 'agent', agent: 'stand-in', status: 'running', image: AGENT_IMAGE });
    expect(s.name).toMatch(/^stand-in-[a-z]+-[a-z]+/);
    const diff = await vi.waitFor(
      async () => {
        const shown = text(await call(client, 'session_diff', { name: s.name }));
        if (!shown.includes('+the agent was here')) {
          throw new Error(`the agent's edit never showed in session_diff:\n${shown}`);
        }
        return shown;
      },
      { timeout: 15_000, interval: 100 },
    );
    expect(diff).toContain('+++ b/from-mcp.txt');
    const ghost = await call(client, 'session_create', { repo, agent: 'ghost', prompt: 'x' });
    expect(text(ghost)).toMatch(/no agent profile named 'ghost'/);
  }, 60_000);

  it.each([
    ['busybox', BUSYBOX_IMAGE],
    ['Debian', SESSION_IMAGE],
  ])(
    'keeps the file tools inside /workspace: .., absolute paths and symlinks out are refused (%s)',
    async (_, image) => {
      const t = await testServer();
      const client = await mcpClient(await listenTcp(t), t.adminToken);
      await t.core.service.create({ name: 'jail', repo: makeRepo(), image });
      const setup = await call(client, 'session_exec', {
        name: 'jail',
        cmd: [
          'sh',
          '-c',
          'ln -s /etc etc-link && ln -s /etc/hostname host-link && ln -s /etc/evil-new dangling',
        ],
      });
      expect(setup.structuredContent).toMatchObject({ exitCode: 0 });

      const refusals: [string, Record<string, unknown>, RegExp][] = [
        ['file_read', { path: '../etc/passwd' }, /contains '\.\.'/],
        ['file_read', { path: 'a/../../etc/passwd' }, /contains '\.\.'/],
        ['file_read', { path: '/etc/passwd' }, /outside \/workspace/],
        ['file_read', { path: '/workspace-other/x' }, /outside \/workspace/],
        ['file_read', { path: 'etc-link/passwd' }, /leads outside \/workspace/],
        ['file_read', { path: 'host-link' }, /leads outside \/workspace/],
        ['file_list', { path: 'etc-link' }, /leads outside \/workspace/],
        ['file_list', { path: '/' }, /outside \/workspace/],
        ['file_write', { path: 'etc-link/evil', content: 'x' }, /leads outside \/workspace/],
        ['file_write', { path: 'etc-link/deeper/evil', content: 'x' }, /leads outside \/workspace/],
        ['file_write', { path: 'host-link', content: 'x' }, /leads outside \/workspace/],
        ['file_write', { path: 'dangling', content: 'x' }, /leads outside \/workspace/],
        ['file_write', { path: '/etc/evil', content: 'x' }, /outside \/workspace/],
        ['file_write', { path: '/workspace', content: 'x' }, /is a folder/],
      ];
      for (const [tool, args, why] of refusals) {
        const r = await call(client, tool, { name: 'jail', ...args });
        expect([tool, args.path, r.isError], text(r)).toEqual([tool, args.path, true]);
        expect(text(r)).toMatch(why);
        expect(text(r)).toContain('hint:');
        expect(text(r)).not.toMatch(/\n\s+at /); // no stack trace
      }
      const etc = await call(client, 'session_exec', {
        name: 'jail',
        cmd: ['sh', '-c', 'ls /etc/evil /etc/evil-new /etc/deeper 2>&1; cat /etc/hostname'],
      });
      expect((etc.structuredContent as { stdout: string }).stdout).toMatch(/No such file/);
      expect((etc.structuredContent as { stdout: string }).stdout).not.toMatch(/^x$/m);

      // Symlinks that stay inside are followed; other mistakes get their own message.
      await call(client, 'file_write', { name: 'jail', path: 'real/target.txt', content: 'inside' });
      await call(client, 'session_exec', {
        name: 'jail',
        cmd: ['ln', '-s', 'real/target.txt', 'inner-link'],
      });
      const viaLink = await call(client, 'file_read', { name: 'jail', path: 'inner-link' });
      expect(viaLink.structuredContent).toMatchObject({ content: 'inside' });
      const missing = await call(client, 'file_read', { name: 'jail', path: 'nope/none.txt' });
      expect(text(missing)).toMatch(/nothing at 'nope\/none.txt'/);
      const folder = await call(client, 'file_read', { name: 'jail', path: 'real' });
      expect(text(folder)).toMatch(/is a folder/);
      const noDirs = await call(client, 'file_write', {
        name: 'jail',
        path: 'new/dir/f.txt',
        content: 'x',
        createDirs: false,
      });
      expect(text(noDirs)).toMatch(/does not exist/);
      // Names a shell would expand stay plain names.
      const odd = await call(client, 'file_write', {
        name: 'jail',
        path: '$(touch pwned) `x` ;*.txt',
        content: 'odd',
      });
      expect(odd.isError, text(odd)).toBeFalsy();
      const ls = await call(client, 'file_list', { name: 'jail' });
      expect(text(ls).split('\n')).toEqual([
        '$(touch pwned) `x` ;*.txt',
        'README.md',
        'dangling@',
        'etc-link@',
        'host-link@',
        'inner-link@',
        'real/',
      ]);
      const binary = await call(client, 'file_write', {
        name: 'jail',
        path: 'bin.dat',
        content: Buffer.from([0, 255, 1]).toString('base64'),
        encoding: 'base64',
      });
      expect(binary.isError, text(binary)).toBeFalsy();
      expect(text(await call(client, 'file_read', { name: 'jail', path: 'bin.dat' }))).toMatch(/not UTF-8/);
      const b64 = await call(client, 'file_read', { name: 'jail', path: 'bin.dat', encoding: 'base64' });
      expect(b64.structuredContent).toMatchObject({ content: 'AP8B', size: 3 });
      // A read stops at 1 MiB and says so, without splitting a character.
      const big = `a${'é'.repeat(600_000)}`;
      const wroteBig = await call(client, 'file_write', { name: 'jail', path: 'big.txt', content: big });
      expect(wroteBig.isError, text(wroteBig)).toBeFalsy();
      const cut = await call(client, 'file_read', { name: 'jail', path: 'big.txt' });
      const got = cut.structuredContent as { content: string; size: number; truncated: boolean };
      expect(got).toMatchObject({ size: 1_200_001, truncated: true });
      expect(Buffer.byteLength(got.content)).toBe(1024 * 1024 - 1);
      expect(big.startsWith(got.content)).toBe(true);
      expect(text(cut)).toMatch(/cut at 1048576 of 1200001 bytes/);
    },
    120_000,
  );

  it('answers with berth’s problem for a missing session and a session without a preview', async () => {
    const t = await testServer();
    const client = await mcpClient(await listenTcp(t), t.adminToken);
    const missing = await call(client, 'session_exec', { name: 'ghost', cmd: ['true'] });
    expect(missing.isError).toBe(true);
    expect(text(missing)).toMatch(/no session named 'ghost'[\s\S]*hint:[\s\S]*not_found/);
    expect(missing._meta?.['dev.berth/problem']).toMatchObject({ code: 'not_found' });

    const s = await t.core.service.create({ name: 'web', repo: makeRepo() });
    const none = await call(client, 'preview_url', { name: 'web' });
    expect(none.isError).toBe(true);
    expect(text(none)).toMatch(/has no preview running/);
    await t.core.store.update(s.id, {
      preview: { projectType: 'node', command: ['npm', 'run', 'dev'], containerPort: 3000, hostPort: 5123 },
    });
    const urls = await call(client, 'preview_url', { name: 'web' });
    // On TCP, also a single-use link through the server, made by the API's preview ticket.
    expect(urls.structuredContent).toEqual({
      name: 'web',
      urls: ['http://127.0.0.1:5123/'],
      viaServer: {
        url: expect.stringMatching(/\?ticket=/),
        origin: expect.any(String),
        expiresAt: expect.any(String),
      },
    });
    const via = (urls.structuredContent as { viaServer: { url: string; origin: string } }).viaServer;
    expect(via.url.startsWith(via.origin.replace(/\/$/, ''))).toBe(true);
    expect(text(urls)).toContain('single-use');
    const again = await call(client, 'preview_url', { name: 'web' });
    expect((again.structuredContent as { viaServer: { url: string } }).viaServer.url).not.toBe(via.url);

    const bad = await client
      .callTool({ name: 'session_exec', arguments: { name: 'web', cmd: [] } })
      .catch((e: Error) => e);
    expect(String((bad as Error).message ?? JSON.stringify(bad))).toMatch(/cmd/);
  }, 60_000);

  it('applies the API’s access rules: a member sees only their own sessions', async () => {
    const t = await testServer();
    const base = await listenTcp(t);
    await t.core.service.create({ name: 'admins', repo: makeRepo() });
    const member = await makeUser(t.core, 'mia', 'member');
    const { token } = await makeToken(t.core, member.id);
    const client = await mcpClient(base, token);
    const listed = await call(client, 'session_list', {});
    expect(listed.structuredContent).toEqual({ sessions: [] });
    const peek = await call(client, 'file_read', { name: 'admins', path: 'README.md' });
    expect(text(peek)).toMatch(/no session named 'admins'/);
  }, 60_000);

  it('answers on the unix socket as the host’s owner, like the rest of the API', async () => {
    const t = await testServer();
    const socketPath = await listenLocal(t.app, t.core);
    const member = await makeUser(t.core, 'mo', 'member');
    await t.core.service.create({ name: 'theirs', repo: makeRepo(), ownerId: member.id, teamId: null });
    const client = new Client({ name: 'berth-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('http://localhost/mcp'), { fetch: unixFetch(socketPath) }),
    );
    onTestFinished(() => client.close());
    const listed = await call(client, 'session_list', {});
    expect(
      (listed.structuredContent as { sessions: { name: string }[] }).sessions.map((x) => x.name),
    ).toEqual(['theirs']);
    const ran = await call(client, 'session_exec', { name: 'theirs', cmd: ['id', '-u'] });
    expect(ran.structuredContent).toMatchObject({ exitCode: 0 });
    // A server without TCP has no link to give through itself: only the host port.
    const s = await t.core.service.get('theirs');
    await t.core.store.update(s.id, {
      preview: { projectType: 'node', command: ['npm', 'run', 'dev'], containerPort: 3000, hostPort: 5124 },
    });
    const urls = await call(client, 'preview_url', { name: 'theirs' });
    expect(urls.structuredContent).toEqual({ name: 'theirs', urls: ['http://localhost:5124/'] });
    const audit = await t.core.store.audit.list({ limit: 10 });
    expect(audit.find((e) => e.action === 'session.exec')?.actor).toBe('local');
  }, 60_000);

  it('refuses requests without credentials, from another site or for another host name', async () => {
    const t = await testServer();
    const base = await listenTcp(t);
    const init = {
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    };
    // node:http, not fetch: fetch will not send a Host header of our choosing.
    const post = (headers: Record<string, string>) =>
      new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
        const req = request(
          `${base}/mcp`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              accept: 'application/json, text/event-stream',
              ...headers,
            },
          },
          (res) => {
            let body = '';
            res.on('data', (c: Buffer) => {
              body += c.toString('utf8');
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
          },
        );
        req.on('error', reject);
        req.end(JSON.stringify(init));
      });
    const anonymous = await post({});
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toContain('Bearer');
    expect(anonymous.headers['content-type']).toContain('application/problem+json');

    const auth = { authorization: `Bearer ${t.adminToken}` };
    const foreign = await post({ ...auth, origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((JSON.parse(foreign.body) as { detail: string }).detail).toMatch(/another site/);
    const rebound = await post({ ...auth, host: 'evil.example' });
    expect(rebound.status).toBe(403);
    expect(rebound.body).toMatch(/does not answer to the host name/);
    const wrongToken = await post({ authorization: 'Bearer nope' });
    expect(wrongToken.status).toBe(401);

    const sameSite = await post({ ...auth, origin: base });
    expect(sameSite.status).toBe(200);
    expect(sameSite.body).toContain('"serverInfo"');
    const noAccept = await post({ ...auth, accept: 'application/json' });
    expect(noAccept.status).toBe(400);
    const get = await fetch(`${base}/mcp`, { headers: auth });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('lets pages on BERTH_CORS_ORIGINS call it, and no other site', async () => {
    const core = await testCore();
    const app = await buildServer({
      core,
      daemon: () => ({
        pid: 1,
        version: 'test',
        socket: '',
        home: core.config.home,
        startedAt: '',
        tcp: null,
      }),
      corsOrigins: ['http://app.example'],
    });
    onTestFinished(() => app.close());
    const admin = await makeUser(core, 'ada', 'admin');
    const { token } = await makeToken(core, admin.id);
    const initialize = (origin: string) =>
      app.inject({
        method: 'POST',
        url: '/mcp',
        headers: {
          authorization: `Bearer ${token}`,
          origin,
          accept: 'application/json, text/event-stream',
          'content-type': 'application/json',
        },
        payload: {
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'x', version: '1' },
          },
        },
      });
    const allowed = await initialize('http://app.example');
    expect(allowed.statusCode).toBe(200);
    expect(allowed.body).toContain('"serverInfo"');
    expect((await initialize('http://evil.example')).statusCode).toBe(403);
  });

  it('refuses a body over its limit (16 MiB) before any tool runs', async () => {
    const t = await testServer();
    const r = await t.inject({
      method: 'POST',
      url: '/mcp',
      headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
      payload: `{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"${'x'.repeat(17 * 1024 * 1024)}"}}`,
    });
    expect(r.statusCode).toBe(413);
    expect(r.headers['content-type']).toContain('application/problem+json');
  });

  it('refuses a browser login cookie even with its CSRF token: MCP takes a bearer token', async () => {
    const t = await testServer();
    await makeUser(t.core, 'cat', 'member');
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { origin: 'http://localhost:80', host: 'localhost:80' },
      payload: { username: 'cat', password: 'correct horse battery' },
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    const r = await t.app.inject({
      method: 'POST',
      url: '/mcp',
      headers: {
        host: 'localhost:80',
        origin: 'http://localhost:80',
        cookie,
        'x-berth-csrf': login.json().csrfToken,
        accept: 'application/json, text/event-stream',
      },
      payload: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    });
    expect(r.statusCode).toBe(403);
    expect(r.json()).toMatchObject({ code: 'forbidden', detail: expect.stringMatching(/bearer token/) });
  });
});
