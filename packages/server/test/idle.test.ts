import { BerthClient } from '@berth/api/node';
import { type Core, openCore } from '@berth/core';
import { containersOf, makeRepo, testConfig } from '@berth/testkit';
import { listenLocal, testServer } from '@berth/testkit/server';
import { describe, expect, it, onTestFinished } from 'vitest';

/** A server over a core whose idle watcher sweeps every 100 ms. */
async function idleServer(env: NodeJS.ProcessEnv = {}) {
  const core: Core = await openCore(testConfig({}, { BERTH_IDLE_SWEEP_MS: '100', ...env }));
  onTestFinished(() => core.close());
  await core.startWatching();
  return testServer(core);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idle policy over the API', () => {
  it('API calls on a session keep it awake; polling its stats does not', async () => {
    const { inject, core } = await idleServer();
    const created = await inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'api', repo: makeRepo(), idleTimeoutSeconds: 2, idleAction: 'pause' },
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().idle).toEqual({ timeoutSeconds: 2, action: 'pause' });
    const until = Date.now() + 4500;
    while (Date.now() < until) {
      const r = await inject('/api/v1/sessions/api');
      expect(r.json().status).toBe('running');
      await sleep(700);
    }
    // A dashboard watching the session's stats is not working in it.
    const watching = setInterval(() => void inject('/api/v1/sessions/api/stats'), 300);
    onTestFinished(() => clearInterval(watching));
    await expect
      .poll(async () => (await core.service.get('api')).status, { timeout: 8000, interval: 100 })
      .toBe('paused');
    const s = await core.service.get('api');
    expect(s.statusReason).toBe('idle for 2s: paused');
  });

  it('terminal input on the shell WebSocket keeps a session awake', async () => {
    const { app, core } = await idleServer();
    await core.service.create({ name: 'typing', repo: makeRepo(), idleTimeoutSeconds: 2 });
    const socketPath = await listenLocal(app, core);
    const ws = new BerthClient({ socketPath }).shell('typing', { cols: 80, rows: 24 });
    onTestFinished(() => ws.close());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary && data.includes('\x1b[6n')) ws.send(Buffer.from('\x1b[1;1R'), { binary: true });
    });
    await new Promise((r) => ws.once('open', r));
    const until = Date.now() + 4500;
    while (Date.now() < until) {
      ws.send(Buffer.from(' \x7f'), { binary: true }); // a keystroke and its undo
      await sleep(700);
      expect((await core.service.get('typing')).status).toBe('running');
    }
    ws.close();
    await expect
      .poll(async () => (await core.service.get('typing')).status, { timeout: 8000, interval: 100 })
      .toBe('paused');
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
