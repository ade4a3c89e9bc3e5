import { BerthClient } from '@berth/api/node';
import { type Core, openCore, type SessionStatus, silentLogger } from '@berth/core';
import { containersOf, makeRepo, TestClock, testConfig } from '@berth/testkit';
import { listenLocal, testServer } from '@berth/testkit/server';
import { describe, expect, it, onTestFinished } from 'vitest';

/**
 * A server over a core on a TestClock. The idle watcher's own timer is set to an hour, so it never
 * fires in a test: time passes when the test moves the clock and sweeps. The watcher samples a
 * session's CPU once it has been idle for half its timeout and acts on a later sweep.
 */
async function idleServer(env: NodeJS.ProcessEnv = {}) {
  const clock = new TestClock();
  const config = testConfig({}, { BERTH_IDLE_SWEEP_MS: '3600000', ...env });
  const core: Core = await openCore(config, silentLogger, { clock });
  onTestFinished(() => core.close());
  await core.startWatching();
  /** Moves the clock on by `ms`, then sweeps once, as the watcher's timer would at that moment. */
  const sweepAfter = async (ms: number) => {
    clock.advance(ms);
    await core.idle.sweep();
  };
  /**
   * Moves the clock on `stepMs` at a time, running `each` (what else happens in that step) and then
   * a sweep, until the session is `want` or `withinMs` of clock time have passed: a poll on the
   * clock. Returns the session then.
   */
  const sweepUntil = async (
    name: string,
    want: SessionStatus,
    opts: { withinMs: number; stepMs: number; each?: () => Promise<unknown> },
  ) => {
    let cur = await core.service.get(name);
    for (let t = 0; t < opts.withinMs && cur.status !== want; t += opts.stepMs) {
      await opts.each?.();
      await sweepAfter(opts.stepMs);
      cur = await core.service.get(name);
    }
    return cur;
  };
  return { ...(await testServer(core)), clock, sweepAfter, sweepUntil };
}

describe('idle policy over the API', () => {
  it('API calls on a session keep it awake; polling its stats does not', async () => {
    const { inject, core, clock, sweepAfter, sweepUntil } = await idleServer();
    const created = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'api', repo: makeRepo(), idleTimeoutSeconds: 2, idleAction: 'pause' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().idle).toEqual({ timeoutSeconds: 2, action: 'pause' });
    const until = clock.now().getTime() + 4500;
    while (clock.now().getTime() < until) {
      const r = await inject('/api/v1/sessions/api');
      expect(r.json().status).toBe('running');
      await sweepAfter(700);
    }
    // A dashboard watching the session's stats is not working in it: a read every 300 ms.
    const watched = await sweepUntil('api', 'paused', {
      withinMs: 8000,
      stepMs: 300,
      each: () => inject('/api/v1/sessions/api/stats'),
    });
    expect(watched.status).toBe('paused');
    const s = await core.service.get('api');
    expect(s.statusReason).toBe('idle for 2s: paused');
  });

  it('terminal input on the shell WebSocket keeps a session awake', async () => {
    const { app, core, clock, sweepAfter, sweepUntil } = await idleServer();
    await core.service.create({ name: 'typing', repo: makeRepo(), idleTimeoutSeconds: 2 });
    const socketPath = await listenLocal(app, core);
    const ws = new BerthClient({ socketPath }).shell('typing', { cols: 80, rows: 24 });
    onTestFinished(() => ws.close());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary && data.includes('\x1b[6n')) ws.send(Buffer.from('\x1b[1;1R'), { binary: true });
    });
    await new Promise((r) => ws.once('open', r));
    const until = clock.now().getTime() + 4500;
    while (clock.now().getTime() < until) {
      ws.send(Buffer.from(' \x7f'), { binary: true }); // a keystroke and its undo
      await sweepAfter(700);
      expect((await core.service.get('typing')).status).toBe('running');
    }
    ws.close();
    const after = await sweepUntil('typing', 'paused', { withinMs: 8000, stepMs: 1000 });
    expect(after.status).toBe('paused');
  });

  it('PATCH changes the idle policy; bad values are refused', async () => {
    const { inject, core } = await idleServer();
    await core.service.create({ name: 'policy', repo: makeRepo() });
    const ok = await inject({
      method: 'PATCH',
      url: '/api/v1/sessions/policy',
      payload: { idleTimeoutSeconds: 600, idleAction: 'stop' },
    });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().idle).toEqual({ timeoutSeconds: 600, action: 'stop' });
    for (const payload of [{ idleTimeoutSeconds: -1 }, { idleTimeoutSeconds: 1.5 }, { idleAction: 'nap' }]) {
      const r = await inject({ method: 'PATCH', url: '/api/v1/sessions/policy', payload });
      expect(r.statusCode, JSON.stringify(payload)).toBe(400);
    }
    expect((await core.service.get('policy')).idle).toEqual({ timeoutSeconds: 600, action: 'stop' });
  });
});

describe('profiles and gVisor over the API', () => {
  it('creates an agent-kind session with its profile and reports profiles and gVisor in capabilities', async () => {
    const { inject, core } = await idleServer();
    const r = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'agent', repo: makeRepo(), kind: 'agent', pids: 200 },
    });
    expect(r.statusCode, r.body).toBe(201);
    expect(r.json()).toMatchObject({
      kind: 'agent',
      limits: { cpus: 1, memoryBytes: 2 * 1024 ** 3, pids: 200 },
      idle: { timeoutSeconds: 300, action: 'pause' },
      runtime: 'runc',
    });
    const caps = (await inject('/api/v1/capabilities')).json();
    expect(caps.limits.profiles.preview).toEqual({ cpus: 0.5, memoryBytes: 1024 ** 3, pids: 512 });
    expect(caps.gvisor).toEqual({ available: caps.runtime.runtimes.includes('runsc'), runtime: 'runsc' });
    expect(await containersOf(core.config.home)).toHaveLength(1);
  });

  it('asking for gVisor where the engine lacks it is a 400 with how to install it, and makes nothing', async () => {
    const { inject, core } = await idleServer({ BERTH_GVISOR_RUNTIME: 'berth-test-no-such-runtime' });
    const r = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'boxed', repo: makeRepo(), runtime: 'gvisor' },
    });
    expect(r.statusCode).toBe(400);
    expect(r.json()).toMatchObject({ code: 'invalid_input' });
    expect(r.json().detail).toMatch(/not registered with the Docker Engine/);
    expect(r.json().hint).toMatch(/apt-get install runsc/);
    expect(await core.service.list()).toHaveLength(0);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    const caps = (await inject('/api/v1/capabilities')).json();
    expect(caps.gvisor).toEqual({ available: false, runtime: 'berth-test-no-such-runtime' });
  });
});
