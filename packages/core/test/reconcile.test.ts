import { existsSync, readdirSync } from 'node:fs';
import { BUSYBOX_IMAGE, containersOf, docker, git, makeRepo, testCore } from '@berth/testkit';
import { describe, expect, it, vi } from 'vitest';
import { LABEL_HOME, LABEL_MANAGED, LABEL_SESSION_ID } from '../src/index.js';

describe('the store and the engine agree', () => {
  it('a container killed outside berth shows as stopped within a second', async () => {
    const core = await testCore();
    await core.startWatching();
    const s = await core.service.create({ name: 'victim', repo: makeRepo() });
    const killedAt = Date.now();
    await docker.getContainer(s.containerId!).kill();
    const after = await vi.waitFor(
      async () => {
        const x = await core.service.get('victim');
        if (x.status !== 'stopped') throw new Error(`victim is ${x.status}`);
        return x;
      },
      { timeout: 1000, interval: 25 },
    );
    expect(after.status).toBe('stopped');
    expect(after.statusReason).toMatch(/exited \(code 137\)/);
    expect(Date.now() - killedAt).toBeLessThan(1000);
    expect((await core.service.start('victim')).status).toBe('running');
  });

  it('a container removed outside berth marks its session failed, and cancel still cleans up', async () => {
    const core = await testCore();
    await core.startWatching();
    const repo = makeRepo();
    const s = await core.service.create({ name: 'vanish', repo });
    await docker.getContainer(s.containerId!).remove({ force: true });
    const after = await vi.waitFor(
      async () => {
        const x = await core.service.get('vanish');
        if (x.status !== 'failed') throw new Error(`vanish is ${x.status}`);
        return x;
      },
      { timeout: 2000, interval: 25 },
    );
    expect(after).toMatchObject({ status: 'failed', containerId: null });
    expect(after.statusReason).toMatch(/vanished/);
    await core.service.cancel('vanish');
    expect(existsSync(s.workspacePath!)).toBe(false);
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');
  });

  it('removes a container that carries berth labels but has no session', async () => {
    const core = await testCore();
    const orphan = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', 'infinity'],
      Labels: {
        [LABEL_MANAGED]: 'true',
        [LABEL_HOME]: core.config.home,
        [LABEL_SESSION_ID]: 'no-such-session',
      },
    });
    const stranger = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['true'],
      Labels: { 'x.test': '1' },
    });
    try {
      const r = await core.reconciler.reconcileAll();
      expect(r.removedContainers).toBe(1);
      expect(await containersOf(core.config.home)).toHaveLength(0);
      await expect(orphan.inspect()).rejects.toMatchObject({ statusCode: 404 });
      // Never anyone else's.
      expect((await stranger.inspect()).Id).toBe(stranger.id);
    } finally {
      await stranger.remove({ force: true });
    }
  });

  it('a container that surfaces after its session ended is removed as soon as the engine reports it', async () => {
    const core = await testCore();
    await core.startWatching();
    const s = await core.service.create({ name: 'late', repo: makeRepo() });
    await core.service.cancel('late');
    // What a killed daemon leaves in flight: the engine makes the container after all.
    const late = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', 'infinity'],
      Labels: { [LABEL_MANAGED]: 'true', [LABEL_HOME]: core.config.home, [LABEL_SESSION_ID]: s.id },
    });
    await expect
      .poll(
        () =>
          late.inspect().then(
            () => false,
            () => true,
          ),
        { timeout: 2000, interval: 25 },
      )
      .toBe(true);
  });

  it('a create the engine refuses part-way leaves no row, container, working copy or branch', async () => {
    const core = await testCore();
    const repo = makeRepo();
    const refs = git(repo, 'for-each-ref');
    // More CPUs than this machine has: the engine refuses the container after the working copy exists.
    await expect(core.service.create({ name: 'toobig', repo, cpus: 200 })).rejects.toMatchObject({
      code: 'engine_error',
    });
    expect(await core.service.list()).toEqual([]);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(readdirSync(core.config.workspacesDir)).toEqual([]);
    expect(git(repo, 'for-each-ref')).toBe(refs);
  });
});
