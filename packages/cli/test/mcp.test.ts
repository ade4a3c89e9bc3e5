import { spawn } from 'node:child_process';
import { containersOf, git, makeRepo, SESSION_IMAGE } from '@berth/testkit';
import { type Berth, BIN, berthCli } from '@berth/testkit/cli';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it, onTestFinished } from 'vitest';

/** `berth mcp` as an MCP client starts it: a separate process, spoken to over its stdin/stdout. */
async function stdioClient(cli: Berth): Promise<{ client: Client; stderr: () => string; errors: Error[] }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp'],
    env: cli.env as Record<string, string>,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const client = new Client({ name: 'berth-cli-test', version: '1.0.0' });
  // Anything on stdout that is not an MCP message lands here.
  const errors: Error[] = [];
  client.onerror = (err) => errors.push(err);
  await client.connect(transport);
  onTestFinished(() => client.close());
  return { client, stderr: () => stderr, errors };
}

async function call(client: Client, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('berth mcp (stdio)', () => {
  it('starts the daemon, and creates, works in, diffs and finishes a session through the tools', async () => {
    const cli = berthCli();
    const { client, stderr, errors } = await stdioClient(cli);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'session_create',
        'session_exec',
        'file_write',
        'session_diff',
        'session_finish',
      ]),
    );
    expect(stderr()).toContain('started one');

    const repo = makeRepo();
    const created = await call(client, 'session_create', {
      name: 'via-stdio',
      repo,
      image: SESSION_IMAGE,
      description: 'made over MCP',
    });
    expect(created.isError, text(created)).toBeFalsy();
    expect(created.structuredContent).toMatchObject({ name: 'via-stdio', status: 'running' });

    const wrote = await call(client, 'file_write', {
      name: 'via-stdio',
      path: 'src/main.sh',
      content: 'echo hi\n',
    });
    expect(wrote.structuredContent).toEqual({ path: 'src/main.sh', size: 8 });
    const ran = await call(client, 'session_exec', { name: 'via-stdio', cmd: ['sh', 'src/main.sh'] });
    expect(ran.structuredContent).toMatchObject({ exitCode: 0, stdout: 'hi\n' });
    const piped = await call(client, 'session_exec', {
      name: 'via-stdio',
      cmd: ['cat'],
      stdin: 'through stdin',
    });
    expect(piped.structuredContent).toMatchObject({ stdout: 'through stdin' });

    const diff = await call(client, 'session_diff', { name: 'via-stdio' });
    expect(text(diff)).toContain('+++ b/src/main.sh');
    expect(text(diff)).toContain('+echo hi');

    const fin = await call(client, 'session_finish', { name: 'via-stdio', message: 'Say hi' });
    expect(fin.structuredContent).toMatchObject({ status: 'finished' });
    expect(git(repo, 'show', 'berth/via-stdio:src/main.sh')).toBe('echo hi');
    expect(await containersOf(cli.home)).toHaveLength(0);
    expect(errors).toEqual([]);
  }, 120_000);

  it('refuses paths that escape /workspace and cancels a session (busybox)', async () => {
    const cli = berthCli();
    const { client, errors } = await stdioClient(cli);
    const created = await call(client, 'session_create', { name: 'jail', repo: makeRepo() });
    expect(created.isError, text(created)).toBeFalsy();
    await call(client, 'session_exec', { name: 'jail', cmd: ['ln', '-s', '/etc', 'etc-link'] });
    for (const [tool, path] of [
      ['file_read', '../etc/passwd'],
      ['file_read', '/etc/passwd'],
      ['file_read', 'etc-link/passwd'],
      ['file_write', 'etc-link/evil'],
      ['file_list', 'etc-link'],
    ] as const) {
      const r = await call(client, tool, { name: 'jail', path, content: 'x' });
      expect([tool, path, r.isError]).toEqual([tool, path, true]);
      expect(text(r)).toMatch(/outside \/workspace|contains '\.\.'/);
    }
    const cancelled = await call(client, 'session_cancel', { name: 'jail' });
    expect(cancelled.structuredContent).toMatchObject({ status: 'cancelled' });
    const gone = await call(client, 'session_exec', { name: 'jail', cmd: ['true'] });
    expect(gone.isError).toBe(true);
    expect(text(gone)).toMatch(/hint:/);
    expect(errors).toEqual([]);
  }, 120_000);

  it('writes nothing but MCP messages to stdout, answers what was asked and exits 0 when stdin closes', async () => {
    const cli = berthCli();
    const child = spawn(process.execPath, [BIN, 'mcp'], { env: cli.env, stdio: ['pipe', 'pipe', 'pipe'] });
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'session_list', arguments: {} } });
    // Closed at once, before the daemon is even up: the call in flight is still answered.
    child.stdin.end();
    expect(await exited).toBe(0);
    const lines = stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(JSON.parse(line)).toMatchObject({ jsonrpc: '2.0' });
    expect(JSON.parse(lines[1] ?? '{}').result.structuredContent).toEqual({ sessions: [] });
    expect(stderr).toContain('started one');
  }, 60_000);
});
