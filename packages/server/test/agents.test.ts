import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { BerthClient } from '@berth/api/node';
import type { Core } from '@berth/core';
import {
  AGENT_IMAGE,
  agentCore,
  capture,
  containersOf,
  docker,
  makeRepo,
  SESSION_IMAGE,
  tarOf,
  tempDir,
  uniqueSecret,
  waitForScreen,
} from '@berth/testkit';
import { listenLocal, makeToken, makeUser } from '@berth/testkit/server';
import type { InjectOptions } from 'fastify';
import pino from 'pino';
import { describe, expect, it, onTestFinished } from 'vitest';
import type WebSocket from 'ws';
import { buildServer } from '../src/index.js';

/** The daemon's own logger setup (redaction included), writing into memory for the test to read. */
function capturedLogger() {
  const lines: string[] = [];
  const out = new PassThrough();
  out.on('data', (d: Buffer) => lines.push(d.toString('utf8')));
  const logger = pino(
    {
      level: 'trace',
      redact: {
        paths: ['*.env', '*.password', '*.token', '*.sshKey', '*.keys', '*.dir', 'req.headers.authorization'],
        censor: '[redacted]',
      },
    },
    out,
  );
  return { logger, text: () => lines.join('') };
}

async function agentServer() {
  const logs = capturedLogger();
  const core = await agentCore({}, logs.logger);
  const app = await buildServer({
    core,
    logger: logs.logger,
    daemon: () => ({ pid: 1, version: 'test', socket: '', home: core.config.home, startedAt: '', tcp: null }),
  });
  onTestFinished(() => app.close());
  const admin = await makeUser(core, 'admin1', 'admin');
  const { token } = await makeToken(core, admin.id);
  const responses: string[] = [];
  const inject = async (opts: InjectOptions) => {
    const r = await app.inject({
      ...opts,
      headers: { authorization: `Bearer ${token}`, ...(opts.headers ?? {}) },
    });
    responses.push(r.body);
    return r;
  };
  return { app, core, inject, responses, logs };
}

/** Opens the attach WebSocket and collects the screen. */
async function attach(core: Core, app: Awaited<ReturnType<typeof agentServer>>['app'], name: string) {
  const socketPath = await listenLocal(app, core);
  const ws = new BerthClient({ socketPath }).attach(name, { cols: 120, rows: 40 });
  const term = { ws, screen: '' };
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) term.screen += data.toString('utf8');
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  return term;
}

function closed(ws: WebSocket): Promise<void> {
  return new Promise((r) => {
    if (ws.readyState === ws.CLOSED) r();
    else ws.once('close', () => r());
  });
}

describe('agent sessions over the API', () => {
  it('attach shows the agent’s screen, typed lines reach it, and closing leaves it running', async () => {
    const { app, core, inject } = await agentServer();
    const created = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'att', repo: makeRepo(), agent: 'stand-in', prompt: 'write first.txt: one' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ kind: 'agent', agent: 'stand-in' });
    const term = await attach(core, app, 'att');
    await expect
      .poll(() => term.screen, { timeout: 10_000, interval: 100, message: 'the first prompt on screen' })
      .toContain('1 prompts so far');
    term.ws.send(Buffer.from('write typed.txt: from the terminal\r'), { binary: true });
    await expect
      .poll(() => term.screen, { timeout: 10_000, interval: 100, message: 'the typed line handled' })
      .toContain('wrote typed.txt');
    term.ws.close();
    await closed(term.ws);
    // Detached, not ended: the agent still runs, and no tmux client is left behind.
    await expect
      .poll(
        async () =>
          (await core.service.exec('att', ['tmux', 'list-clients', '-t', 'agent'])).stdout.toString().trim(),
        { timeout: 10_000, interval: 100 },
      )
      .toBe('');
    expect((await core.service.exec('att', ['cat', 'typed.txt'])).stdout.toString()).toBe(
      'from the terminal\n',
    );
    expect(await capture(core, 'att')).toContain('stand-in> ');
    const health = await inject({ url: '/api/v1/sessions/att/health' });
    expect(health.json().container.status).toBe('running');
    const diff = await inject({ url: '/api/v1/sessions/att/diff' });
    expect(diff.json().diff).toContain('+from the terminal');
  });

  it('attach to a plain session is refused with a hint; dispatch makes up a usable name', async () => {
    const { app, core, inject } = await agentServer();
    const repo = makeRepo();
    expect(
      (
        await inject({
          method: 'POST',
          url: '/api/v1/sessions',
          payload: { name: 'plain', repo, image: SESSION_IMAGE },
        })
      ).statusCode,
    ).toBe(201);
    const socketPath = await listenLocal(app, core);
    const ws = new BerthClient({ socketPath }).attach('plain', { cols: 80, rows: 24 });
    const problem = await new Promise<{ code: string; hint?: string }>((resolve) => {
      ws.on('message', (d: Buffer, bin: boolean) => {
        if (!bin) resolve(JSON.parse(d.toString()).problem);
      });
    });
    expect(problem.code).toBe('illegal_transition');
    expect(problem.hint).toContain('berth shell plain');
    const d = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { repo, agent: 'stand-in', prompt: 'hi' },
    });
    expect(d.statusCode, d.body).toBe(201);
    const name = d.json().name as string;
    expect(name).toMatch(/^stand-in-[a-z]+-[a-z]+/);
    expect((await inject({ url: `/api/v1/sessions/${name}` })).json().status).toBe('running');
    await waitForScreen(core, name, '1 prompts so far');
  });

  it('unknown profile and bad config file: clear problems, nothing made', async () => {
    const { core, inject } = await agentServer();
    const repo = makeRepo();
    const r = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'x', repo, agent: 'ghost' },
    });
    expect(r.statusCode).toBe(404);
    expect(r.json().detail).toContain("no agent profile named 'ghost'");
    const { writeFileSync } = await import('node:fs');
    writeFileSync(core.config.configFile, JSON.stringify({ agents: { b: { command: [], image: 3 } } }));
    const list = await inject({ url: '/api/v1/agents' });
    expect(list.statusCode).toBe(400);
    expect(list.json().detail).toContain(core.config.configFile);
    expect(list.json().detail).toMatch(/agents\.b\.(command|image)/);
    const c = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'y', repo, agent: 'b' },
    });
    expect(c.statusCode).toBe(400);
    expect((await inject({ url: '/api/v1/sessions' })).json().total).toBe(0);
    expect(await containersOf(core.config.home)).toEqual([]);
  });

  it('credentials: set once, given read-only, and no secret in logs, responses, inspect, history or image', async () => {
    const { core, inject, responses, logs } = await agentServer();
    const key = uniqueSecret('sk-key');
    const fileSecret = uniqueSecret('oauth');
    const put = await inject({
      method: 'PUT',
      url: '/api/v1/agents/stand-in/credentials',
      payload: {
        dir: (await tarOf({ 'creds.json': fileSecret })).toString('base64'),
        keys: { STAND_IN_KEY: key },
      },
    });
    expect(put.statusCode, put.body).toBe(204);
    // A member sets only their own (the admin's key below stays); an archive with a link out of it is refused.
    const member = await makeUser(core, 'member1', 'member');
    const { token } = await makeToken(core, member.id);
    const own = await inject({
      method: 'PUT',
      url: '/api/v1/agents/stand-in/credentials',
      headers: { authorization: `Bearer ${token}` },
      payload: { keys: { STAND_IN_KEY: 'other' } },
    });
    expect(own.statusCode).toBe(204);
    const tarStream = (await import('tar-stream')).default;
    const pack = tarStream.pack();
    pack.entry({ name: 'evil', type: 'symlink', linkname: '/etc/shadow' });
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    const bad = await inject({
      method: 'PUT',
      url: '/api/v1/agents/stand-in/credentials',
      payload: { dir: Buffer.concat(chunks).toString('base64') },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().detail).toContain('symlink');

    const list = await inject({ url: '/api/v1/agents' });
    const standIn = list.json().agents.find((a: { name: string }) => a.name === 'stand-in');
    expect(standIn.configured.dir).toMatchObject({ files: 1, bytes: fileSecret.length });
    expect(standIn.configured.keys).toEqual([
      // A profile berth cannot point at its broker: the key is in the session, the weaker mode.
      { name: 'STAND_IN_KEY', bytes: key.length, updatedAt: expect.any(String), mode: 'file' },
    ]);
    expect(list.json().agents.map((a: { name: string }) => a.name)).toEqual(
      expect.arrayContaining(['claude', 'codex', 'aider', 'shell', 'stand-in']),
    );

    const created = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: {
        name: 'sec',
        repo: makeRepo(),
        agent: 'stand-in',
        prompt: 'key STAND_IN_KEY\nls /home/berth',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    const { createHash } = await import('node:crypto');
    await waitForScreen(core, 'sec', `sha256 ${createHash('sha256').update(key).digest('hex')}`);
    const exec = await inject({
      method: 'POST',
      url: '/api/v1/sessions/sec/exec',
      payload: {
        cmd: ['sh', '-c', 'echo x > /home/berth/.stand-in-creds/creds.json; echo y > /run/berth/secrets/new'],
      },
    });
    expect(exec.json().exitCode).not.toBe(0);
    expect(Buffer.from(exec.json().stderr, 'base64').toString()).toMatch(/Read-only file system/);
    for (const url of [
      '/api/v1/sessions',
      '/api/v1/sessions/sec',
      '/api/v1/sessions/sec/health',
      '/api/v1/sessions/sec/logs',
      '/api/v1/agents',
      '/api/v1/audit',
      '/api/v1/containers',
    ]) {
      expect((await inject({ url })).statusCode, url).toBeLessThan(300);
    }
    await inject({ method: 'POST', url: '/api/v1/sessions/sec/stop' });
    await inject({ method: 'POST', url: '/api/v1/sessions/sec/start' });
    await inject({ method: 'POST', url: '/api/v1/sessions/sec/restart' });

    const container = (await containersOf(core.config.home))[0]!;
    const inspect = JSON.stringify(await docker.getContainer(container.Id).inspect());
    const imageInspect = JSON.stringify(await docker.getImage(AGENT_IMAGE).inspect());
    const history = execFileSync('docker', ['history', '--no-trunc', AGENT_IMAGE], { encoding: 'utf8' });
    const containerLogs = (
      await docker.getContainer(container.Id).logs({ stdout: true, stderr: true })
    ).toString();
    const saved = join(tempDir('berth-save-'), 'image.tar');
    execFileSync('docker', ['save', '-o', saved, AGENT_IMAGE]);
    const image = readFileSync(saved);
    const diffOut = execFileSync('docker', ['diff', container.Id], { encoding: 'utf8' });
    for (const secret of [key, fileSecret]) {
      expect(logs.text(), 'server logs').not.toContain(secret);
      for (const body of responses) expect(body, 'an API response').not.toContain(secret);
      expect(inspect, 'docker inspect').not.toContain(secret);
      expect(imageInspect).not.toContain(secret);
      expect(history, 'docker history').not.toContain(secret);
      expect(containerLogs, 'container logs').not.toContain(secret);
      expect(image.includes(Buffer.from(secret)), 'docker save').toBe(false);
    }
    // Nothing of the credentials was written into the container's own filesystem layer.
    expect(diffOut).not.toMatch(/stand-in-creds\/|run\/berth\/secrets\//);
    expect(logs.text()).toContain('agent credentials set');

    const del = await inject({
      method: 'DELETE',
      url: '/api/v1/agents/stand-in/credentials?name=STAND_IN_KEY',
    });
    expect(del.statusCode).toBe(204);
    const after = (await inject({ url: '/api/v1/agents' }))
      .json()
      .agents.find((a: { name: string }) => a.name === 'stand-in');
    expect(after.configured.keys).toEqual([]);
    expect(after.configured.dir).not.toBeNull();
  });
});
