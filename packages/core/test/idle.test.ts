import { docker, makeRepo, testConfig } from '@berth/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { type Core, openCore, type SessionEvent } from '../src/index.js';

/** A core whose idle watcher sweeps every 100 ms, started the way the daemon starts it. */
async function idleCore(): Promise<Core> {
  const core = await openCore(testConfig({}, { BERTH_IDLE_SWEEP_MS: '100' }));
  onTestFinished(() => core.close());
  await core.startWatching();
  return core;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('idle shutdown against the real engine', () => {
  it('pauses a session idle for its timeout, says why in its status, events and audit trail', async () => {
    const core = await idleCore();
    const events: SessionEvent[] = [];
    onTestFinished(core.events.subscribe((e) => events.push(e)));
    const s = await core.service.create({ name: 'sleepy', repo: makeRepo(), idleTimeoutSeconds: 2 });
    expect(s.idle).toEqual({ timeoutSeconds: 2, action: 'pause' });
    const started = Date.now();

    const paused = await vi.waitFor(
      async () => {
        const cur = await core.service.get('sleepy');
        if (cur.status !== 'paused') throw new Error(`no idle pause: ${cur.status}`);
        return cur;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    expect(paused.statusReason).toBe('idle for 2s: paused');
    expect((await docker.getContainer(s.containerId!).inspect()).State.Paused).toBe(true);
    const changed = events.find((e) => e.type === 'session.status.changed' && e.to === 'paused');
    expect(changed).toMatchObject({ from: 'running', reason: 'idle for 2s: paused' });
    const audit = await core.store.audit.list({ limit: 10, sessionName: 'sleepy' });
    expect(audit[0]).toMatchObject({
      actor: 'berth',
      action: 'idle-pause',
      sessionId: s.id,
      outcome: 'ok',
      detail: 'idle for 2s: paused',
    });

    // Resuming is activity: the session gets its whole timeout again.
    const resumed = await core.service.resume('sleepy');
    expect(resumed.statusReason).toBeNull();
    expect(Date.parse(resumed.lastActivityAt)).toBeGreaterThan(Date.parse(s.lastActivityAt));
    await sleep(1200);
    expect((await core.service.get('sleepy')).status).toBe('running');
  });

  it('exec activity postpones the idle timeout; the session idles once it stops', async () => {
    const core = await idleCore();
    await core.service.create({ name: 'typing', repo: makeRepo(), idleTimeoutSeconds: 2 });
    const until = Date.now() + 4500;
    while (Date.now() < until) {
      const r = await core.service.exec('typing', ['echo', 'hi']);
      expect(r.exitCode).toBe(0);
      expect((await core.service.get('typing')).status).toBe('running');
      await sleep(700);
    }
    await expect
      .poll(async () => (await core.service.get('typing')).status, {
        timeout: 10_000,
        interval: 100,
        message: 'the idle pause after the last exec',
      })
      .toBe('paused');
  });

  it('a busy process in the container counts as activity (CPU use)', async () => {
    const core = await idleCore();
    await core.service.create({ name: 'busy', repo: makeRepo(), idleTimeoutSeconds: 2 });
    const r = await core.service.exec('busy', [
      'sh',
      '-c',
      "setsid timeout 60 sh -c 'while [ ! -e .stop ]; do :; done' >/dev/null 2>&1 &",
    ]);
    expect(r.exitCode).toBe(0);
    await sleep(4500);
    const s = await core.service.get('busy');
    expect(s.status).toBe('running');
    expect(s.statusReason).toBeNull();
    expect(Date.now() - core.ledger.lastActivity(s)).toBeLessThan(2000);

    // Once the loop ends the container is quiet and the session idles.
    await core.service.exec('busy', ['touch', '.stop']);
    await expect
      .poll(async () => (await core.service.get('busy')).status, {
        timeout: 10_000,
        interval: 100,
        message: 'the idle pause after the loop ended',
      })
      .toBe('paused');
  });

  it('with action stop an idle session is stopped, its container too', async () => {
    const core = await idleCore();
    const s = await core.service.create({
      name: 'stopper',
      repo: makeRepo(),
      idleTimeoutSeconds: 1,
      idleAction: 'stop',
    });
    const stopped = await vi.waitFor(
      async () => {
        const cur = await core.service.get('stopper');
        if (cur.status !== 'stopped') throw new Error(`no idle stop: ${cur.status}`);
        return cur;
      },
      { timeout: 10_000, interval: 100 },
    );
    expect(stopped.statusReason).toBe('idle for 1s: stopped');
    expect((await docker.getContainer(s.containerId!).inspect()).State.Running).toBe(false);
    const audit = await core.store.audit.list({ limit: 10, sessionName: 'stopper' });
    expect(audit[0]).toMatchObject({ actor: 'berth', action: 'idle-stop', detail: 'idle for 1s: stopped' });
  });

  it('a timeout of 0 never idles, and a changed policy takes effect', async () => {
    const core = await idleCore();
    const repo = makeRepo();
    await core.service.create({ name: 'forever', repo, idleTimeoutSeconds: 0 });
    await core.service.create({ name: 'meter', repo, idleTimeoutSeconds: 1 });
    await expect
      .poll(async () => (await core.service.get('meter')).status, {
        timeout: 10_000,
        interval: 100,
        message: 'the short one to idle',
      })
      .toBe('paused');
    await sleep(1500);
    expect((await core.service.get('forever')).status).toBe('running');

    const changed = await core.service.patch('forever', { idleTimeoutSeconds: 1, idleAction: 'stop' });
    expect(changed.idle).toEqual({ timeoutSeconds: 1, action: 'stop' });
    await expect
      .poll(async () => (await core.service.get('forever')).status, {
        timeout: 10_000,
        interval: 100,
        message: 'the new policy to stop it',
      })
      .toBe('stopped');
  });

  it('shell sessions never idle by default; agent sessions seed 5m; the config sets both', async () => {
    const core = await idleCore();
    const repo = makeRepo();
    expect((await core.service.create({ name: 'sh', repo })).idle).toEqual({
      timeoutSeconds: 0,
      action: 'pause',
    });
    expect((await core.service.create({ name: 'ag', repo, kind: 'agent' })).idle).toEqual({
      timeoutSeconds: 300,
      action: 'pause',
    });
    await expect(core.service.create({ name: 'bad', repo, idleTimeoutSeconds: -1 })).rejects.toThrow(
      /idle timeout/,
    );
    await expect(core.service.create({ name: 'bad', repo, idleAction: 'sleep' as 'pause' })).rejects.toThrow(
      /idle action/,
    );
    expect(await core.store.getByName('bad')).toBeNull();
  });
});
