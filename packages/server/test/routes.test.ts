import { BerthClient } from '@berth/api/node';
import type { Core } from '@berth/core';
import { containersOf, makeRepo } from '@berth/testkit';
import { listenLocal, type TestServer, testServer } from '@berth/testkit/server';
import { describe, expect, it } from 'vitest';

async function server(): Promise<{ app: TestServer; core: Core }> {
  const t = await testServer();
  return { app: t, core: t.core };
}

const HOSTILE_NAMES = [
  '../etc',
  '..',
  'a/b',
  'x'.repeat(2000),
  'nul\u0000byte',
  '名前',
  '\u202eevil',
  '%2e%2e',
  ' ',
];

describe('REST routes', () => {
  it('/health reports the engine and the store', async () => {
    const { app } = await server();
    const r = await app.inject('/health');
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ status: 'ok', engine: true, store: true });
  });

  it('answers hostile bodies on create with 4xx problem+json and changes nothing', async () => {
    const { app, core } = await server();
    const repo = makeRepo();
    const bodies: unknown[] = [
      {},
      { name: 'ok' },
      { repo },
      { name: 42, repo },
      { name: 'ok', repo: 42 },
      { name: 'ok', repo, cpus: 'many' },
      { name: 'ok', repo, cpus: -1 },
      { name: 'ok', repo, memoryBytes: 1 },
      { name: 'ok', repo, env: { 'BAD KEY': 'x' } },
      { name: 'ok', repo, env: { K: 'nul\u0000' } },
      { name: 'ok', repo, extra: true },
      { name: 'ok', repo: '../../../../etc' },
      { name: 'ok', repo: '/etc/passwd' },
      { name: 'ok', repo, branch: '--upload-pack=touch /tmp/pwn' },
      { name: 'ok', repo, branch: 'no-such-branch' },
      { name: 'ok', repo, image: 'does/not:exist' },
      { name: 'ok', repo: 'x'.repeat(5000) },
      [],
      'string',
      null,
      ...HOSTILE_NAMES.map((name) => ({ name, repo })),
    ];
    for (const body of bodies) {
      const r = await app.inject({ method: 'POST', url: '/api/v1/sessions', payload: body as object });
      expect(r.statusCode, JSON.stringify(body).slice(0, 80)).toBeGreaterThanOrEqual(400);
      expect(r.statusCode, JSON.stringify(body).slice(0, 80)).toBeLessThan(500);
      expect(r.headers['content-type']).toContain('application/problem+json');
      const p = r.json();
      expect(p).toMatchObject({ status: r.statusCode });
      expect(p.type).toMatch(/^urn:berth:problem:/);
      expect(typeof p.detail).toBe('string');
      expect(JSON.stringify(p)).not.toMatch(/at .*\.js:\d+/);
    }
    const huge = await app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'ok', repo, pad: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(huge.statusCode).toBe(413);
    const garbage = await app.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    });
    expect(garbage.statusCode).toBe(400);
    expect(await core.service.list()).toEqual([]);
    expect(await containersOf(core.config.home)).toHaveLength(0);
  });

  it('answers hostile names and bodies on every session route with 4xx and changes nothing', async () => {
    const { app, core } = await server();
    const repo = makeRepo();
    await core.service.create({ name: 'keep', repo });
    const routes: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['DELETE', ''],
      ['POST', '/pause'],
      ['POST', '/resume'],
      ['POST', '/stop'],
      ['POST', '/start'],
      ['POST', '/restart'],
      ['POST', '/cancel'],
      ['POST', '/finish', { message: 'm' }],
      ['POST', '/exec', { cmd: ['true'] }],
      ['GET', '/logs'],
      ['GET', '/stats'],
      ['GET', '/diff'],
    ];
    for (const name of HOSTILE_NAMES) {
      for (const [method, suffix, body] of routes) {
        const url = `/api/v1/sessions/${encodeURIComponent(name)}${suffix}`;
        const r = await app.inject({
          method: method as 'GET',
          url,
          ...(body ? { payload: body as object } : {}),
        });
        expect(r.statusCode, `${method} ${url.slice(0, 60)}`).toBeGreaterThanOrEqual(400);
        expect(r.statusCode, `${method} ${url.slice(0, 60)}`).toBeLessThan(500);
      }
    }
    const bad: Array<[string, unknown]> = [
      ['/finish', {}],
      ['/finish', { message: '' }],
      ['/finish', { message: 7 }],
      ['/exec', {}],
      ['/exec', { cmd: [] }],
      ['/exec', { cmd: 'ls' }],
      ['/exec', { cmd: [1, 2] }],
      ['/exec', { cmd: ['a\u0000b'] }],
    ];
    for (const [suffix, body] of bad) {
      const r = await app.inject({
        method: 'POST',
        url: `/api/v1/sessions/keep${suffix}`,
        payload: body as object,
      });
      expect(r.statusCode, `${suffix} ${JSON.stringify(body)}`).toBe(400);
      expect(r.json().code).toBe('invalid_input');
    }
    const tail = await app.inject(`/api/v1/sessions/keep/logs?tail=-5`);
    expect(tail.statusCode).toBe(400);
    const sessions = await core.service.list();
    expect(sessions.map((s) => [s.name, s.status])).toEqual([['keep', 'running']]);
  });

  it('a 6th running session is a 429 with Retry-After and a way out', async () => {
    const { app, core } = await server();
    const repo = makeRepo();
    for (let i = 0; i < 5; i++) await core.service.create({ name: `s${i}`, repo });
    const r = await app.inject({ method: 'POST', url: '/api/v1/sessions', payload: { name: 's5', repo } });
    expect(r.statusCode).toBe(429);
    expect(r.headers['retry-after']).toBeDefined();
    expect(r.json()).toMatchObject({ code: 'limit_reached', hint: expect.stringContaining('berth pause') });
  });

  it('unknown routes are 404 problem+json', async () => {
    const { app } = await server();
    const r = await app.inject('/api/v1/nothing');
    expect(r.statusCode).toBe(404);
    expect(r.json().code).toBe('not_found');
  });
});

describe('interactive shell over the WebSocket', () => {
  it('runs typed commands, resizes, and reports the exit code', async () => {
    const { app, core } = await server();
    await core.service.create({ name: 'tty', repo: makeRepo() });
    const socketPath = await listenLocal(app.app, core);
    const ws = new BerthClient({ socketPath }).shell('tty', { cols: 100, rows: 30 });
    let screen = '';
    const exit = new Promise<number>((resolve) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          screen += data.toString('utf8');
          // busybox sh asks the terminal where the cursor is, as a real emulator would answer.
          if (data.includes('\x1b[6n')) ws.send(Buffer.from('\x1b[1;1R'), { binary: true });
        } else {
          const msg = JSON.parse(data.toString('utf8'));
          if (msg.type === 'exit') resolve(msg.code);
        }
      });
    });
    await new Promise((r) => ws.once('open', r));
    // Type only once the shell shows its prompt (line editing flushes typed-ahead input).
    const deadline = Date.now() + 10_000;
    // biome-ignore lint/suspicious/noControlCharactersInRegex: a terminal prompt ends in an escape
    while (!/\$ (\x1b\[J)?$/.test(screen) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    ws.send(Buffer.from('stty size; echo "sum=$((40+2))"; exit 3\n'), { binary: true });
    const code = await Promise.race([exit, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    expect(code, screen).toBe(3);
    expect(screen).toContain('sum=42');
    expect(screen).toMatch(/40 120/);
  });
});
