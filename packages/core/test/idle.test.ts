import { docker, makeRepo, TestClock, testConfig } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Core, openCore, type SessionEvent, type SessionStatus, silentLogger } from '../src/index.js';

/**
 * A core on a TestClock, started the way the daemon starts it. Its watcher's own timer is set to an
 * hour, so it never fires in a test: time passes when the test moves the clock and sweeps.
 *
 * The watcher samples a session's CPU once it has been idle for half its timeout and acts on the
 * sweep after that, so a test sweeps at half the timeout, 100 ms short of it (nothing may have
 * happened yet) and at it. (A step of 1 ms would make the last CPU sample's window 1 ms of clock
 * time, in which an idle container's stray microseconds read as a busy one.)
 */
async function idleCore() {
  const clock = new TestClock();
  const config = testConfig({}, { BERTH_IDLE_SWEEP_MS: '3600000' });
  const core: Core = await openCore(config, silentLogger, { clock });
  onTestFinished(() => core.close());
  await core.startWatching();
  /** Moves the clock on by `ms`, then sweeps once, as the watcher's timer would at that moment. */
  const sweepAfter = async (ms: number) => {
    clock.advance(ms);
    await core.idle.sweep();
  };
  /**
   * Moves the clock on by half the session's timeout at a time, sweeping after each step, until
   * the session is `want` or `withinMs` of clock time have passed: a poll on the clock. Returns the
   * session then. (A sweep that samples CPU waits on the engine's stats, which can take a second.)
   */
  const sweepUntil = async (name: string, want: SessionStatus, withinMs: number) => {
    let cur = await core.service.get(name);
    const step = Math.max(100, cur.idle.timeoutSeconds * 500);
    for (let t = 0; t < withinMs && cur.status !== want; t += step) {
      await sweepAfter(step);
      cur = await core.service.get(name);
    }
    return cur;
  };
  return { core, clock, sweepAfter, sweepUntil };
}

/** Sweeps until `name` (a 1 s timeout) stops for being idle: its status, container and audit say so. */
async function expectIdleStopped(
  core: Core,
  sweepUntil: Awaited<ReturnType<typeof idleCore>>['sweepUntil'],
  name: string,
  containerId: string,
): Promise<void> {
  const stopped = await sweepUntil(name, 'stopped', 10_000);
  if (stopped.status !== 'stopped') throw new Error(`no idle stop: ${stopped.status}`);
  expect(stopped.statusReason).toBe('idle for 1s: stopped');
  expect((await docker.getContainer(containerId).inspect()).State.Running).toBe(false);
  const audit = await core.store.audit.list({ limit: 10, sessionName: name });
  expect(audit[0]).toMatchObject({ actor: 'berth', action: 'idle-stop', detail: 'idle for 1s: stopped' });
}

describe('idle shutdown against the real engine', () => {
  it('pauses a session idle for its timeout, says why in its status, events and audit trail', async () => {
    const { core, clock, sweepAfter } = await idleCore();
    const events: SessionEvent[] = [];
    onTestFinished(core.events.subscribe((e) => events.push(e)));
    const s = await core.service.create({ name: 'sleepy', repo: makeRepo(), idleTimeoutSeconds: 2 });
    expect(s.idle).toEqual({ timeoutSeconds: 2, action: 'pause' });
    const started = clock.now().getTime();

    await sweepAfter(1000);
    await sweepAfter(900);
    expect((await core.service.get('sleepy')).status).toBe('running');
    await sweepAfter(100);
    const paused = await core.service.get('sleepy');
    if (paused.status !== 'paused') throw new Error(`no idle pause: ${paused.status}`);
    // When it paused, on the clock: not before its timeout.
    expect(Date.parse(paused.updatedAt) - started).toBeGreaterThanOrEqual(1900);
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
    await sweepAfter(1000);
    await sweepAfter(900);
    expect((await core.service.get('sleepy')).status).toBe('running');
  });

  it('exec activity postpones the idle timeout; the session idles once it stops', async () => {
    const { core, clock, sweepAfter, sweepUntil } = await idleCore();
    await core.service.create({ name: 'typing', repo: makeRepo(), idleTimeoutSeconds: 2 });
    const until = clock.now().getTime() + 4500;
    while (clock.now().getTime() < until) {
      const r = await core.service.exec('typing', ['echo', 'hi']);
      expect(r.exitCode).toBe(0);
      expect((await core.service.get('typing')).status).toBe('running');
      await sweepAfter(700);
    }
    const after = await sweepUntil('typing', 'paused', 10_000);
    expect(after.status, 'the idle pause after the last exec').toBe('paused');
  });

  it('a busy process in the container counts as activity (CPU use)', async () => {
    const { core, clock } = await idleCore();
    const s = await core.service.create({ name: 'busy', repo: makeRepo(), idleTimeoutSeconds: 2 });
    const r = await core.service.exec('busy', [
      'sh',
      '-c',
      "setsid timeout 60 sh -c 'while [ ! -e .stop ]; do :; done' >/dev/null 2>&1 &",
    ]);
    expect(r.exitCode).toBe(0);
    // The watcher compares the container's real CPU time between two samples with the clock time
    // between them, so over a window it judges the clock must move as far as real time does (a
    // clock jumping 2 s while the loop ran for 20 ms would read as 1% CPU: an idle container). Only
    // idle time is skipped: the clock jumps to 1 ms short of the timeout and a sweep samples
    // (nothing acts short of it); then, once the loop has run a while, `inStep` moves the clock on
    // by the real time since that sample and sweeps, past the timeout in the first round, where
    // without the loop's CPU use the session would pause.
    let sampledAt = 0;
    const sample = async () => {
      sampledAt = performance.now();
      await core.idle.sweep();
    };
    const inStep = async () => {
      clock.advance(Math.round(performance.now() - sampledAt));
      await sample();
    };
    const cpuNanos = async () => (await core.runtime.stats(s.containerId!, { quick: true })).cpuUsageNanos;
    // Two rounds, checked after each: the activity the loop's CPU use counts as keeps it awake.
    for (let round = 0; round < 2; round++) {
      clock.advance(1999);
      await sample();
      // Real engine work: the loop running for a while (200 ms of CPU) within the window.
      const before = await cpuNanos();
      await expect
        .poll(async () => (await cpuNanos()) - before, {
          timeout: 10_000,
          interval: 50,
          message: 'the loop to run',
        })
        .toBeGreaterThanOrEqual(200e6);
      await inStep();
      const cur = await core.service.get('busy');
      expect(cur.status).toBe('running');
      expect(cur.statusReason).toBeNull();
      expect(clock.now().getTime() - core.ledger.lastActivity(cur)).toBeLessThan(2000);
    }

    // Once the loop ends the container is quiet and the session idles.
    await core.service.exec('busy', ['touch', '.stop']);
    clock.advance(1999);
    await sample();
    await expect
      .poll(
        async () => {
          await inStep();
          return (await core.service.get('busy')).status;
        },
        { timeout: 10_000, interval: 100, message: 'the idle pause after the loop ended' },
      )
      .toBe('paused');
  });

  it('with action stop an idle session is stopped, its container too', async () => {
    const { core, sweepUntil } = await idleCore();
    const s = await core.service.create({
      name: 'stopper',
      repo: makeRepo(),
      idleTimeoutSeconds: 1,
      idleAction: 'stop',
    });
    await expectIdleStopped(core, sweepUntil, 'stopper', s.containerId!);
  });

  it('on an engine that cannot freeze, pause is refused with what to do and an idle session is stopped instead', async () => {
    const { core, sweepUntil } = await idleCore();
    // No engine without a freezer can be had here: the Docker driver is told it has none
    // (RuntimeCapabilities.pause 'none', as a driver for such an engine would declare).
    Object.defineProperty(core.runtime, 'capabilities', {
      value: { ...core.runtime.capabilities, pause: 'none' },
    });
    const s = await core.service.create({ name: 'nofreeze', repo: makeRepo(), idleTimeoutSeconds: 1 });
    expect(s.idle.action).toBe('pause');
    await expect(core.service.pause('nofreeze')).rejects.toMatchObject({
      code: 'invalid_input',
      message: "session 'nofreeze' cannot be paused: this engine cannot freeze a container",
      hint: expect.stringContaining('berth stop nofreeze'),
    });
    expect((await docker.getContainer(s.containerId!).inspect()).State.Paused).toBe(false);

    await expectIdleStopped(core, sweepUntil, 'nofreeze', s.containerId!);
  });

  it('a timeout of 0 never idles, and a changed policy takes effect', async () => {
    const { core, sweepAfter, sweepUntil } = await idleCore();
    const repo = makeRepo();
    await core.service.create({ name: 'forever', repo, idleTimeoutSeconds: 0 });
    await core.service.create({ name: 'meter', repo, idleTimeoutSeconds: 1 });
    const meter = await sweepUntil('meter', 'paused', 10_000);
    expect(meter.status, 'the short one to idle').toBe('paused');
    await sweepAfter(1500);
    expect((await core.service.get('forever')).status).toBe('running');

    const changed = await core.service.patch('forever', { idleTimeoutSeconds: 1, idleAction: 'stop' });
    expect(changed.idle).toEqual({ timeoutSeconds: 1, action: 'stop' });
    const forever = await sweepUntil('forever', 'stopped', 10_000);
    expect(forever.status, 'the new policy to stop it').toBe('stopped');
  });

  it('shell sessions never idle by default; agent sessions seed 5m; the config sets both', async () => {
    const { core } = await idleCore();
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
