import { containersOf, docker, git, makeRepo, testConfig } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type Core, InvalidInput, openCore } from '../src/index.js';

const GiB = 1024 ** 3;

async function coreWith(env: NodeJS.ProcessEnv = {}): Promise<Core> {
  const core = await openCore(testConfig({}, env));
  onTestFinished(() => core.close());
  return core;
}

async function hostConfigOf(containerId: string) {
  return (await docker.getContainer(containerId).inspect()).HostConfig;
}

describe('resource profiles per session kind', () => {
  it('an agent session gets 2 GiB and 1 CPU, a preview 1 GiB and half a CPU, enforced by the engine', async () => {
    const core = await coreWith();
    const repo = makeRepo();
    const agent = await core.service.create({ name: 'agent', repo, kind: 'agent' });
    const preview = await core.service.create({ name: 'preview', repo, kind: 'preview' });
    const shell = await core.service.create({ name: 'shell', repo });
    expect(agent.kind).toBe('agent');
    expect(agent.limits).toEqual({ cpus: 1, memoryBytes: 2 * GiB, pids: 512 });
    expect(preview.limits).toEqual({ cpus: 0.5, memoryBytes: 1 * GiB, pids: 512 });
    expect(shell.limits).toEqual(core.config.defaultLimits);

    const a = await hostConfigOf(agent.containerId!);
    expect(a).toMatchObject({ NanoCpus: 1e9, Memory: 2 * GiB, MemorySwap: 2 * GiB, PidsLimit: 512 });
    const p = await hostConfigOf(preview.containerId!);
    expect(p).toMatchObject({ NanoCpus: 0.5e9, Memory: GiB, MemorySwap: GiB, PidsLimit: 512 });
    // The cgroup the session's processes live in carries the limit too.
    const r = await core.service.exec('preview', [
      'sh',
      '-c',
      'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max',
    ]);
    expect(r.stdout.toString().trim()).toBe(String(GiB));
  });

  it('per-session --cpus, --memory and --pids win over the profile', async () => {
    const core = await coreWith();
    const s = await core.service.create({
      name: 'small-agent',
      repo: makeRepo(),
      kind: 'agent',
      cpus: 0.25,
      memoryBytes: 256 * 1024 ** 2,
      pids: 100,
    });
    expect(s.limits).toEqual({ cpus: 0.25, memoryBytes: 256 * 1024 ** 2, pids: 100 });
    expect(await hostConfigOf(s.containerId!)).toMatchObject({
      NanoCpus: 0.25e9,
      Memory: 256 * 1024 ** 2,
      PidsLimit: 100,
    });
  });

  it('profiles come from the configuration', async () => {
    const core = await coreWith({ BERTH_AGENT_MEMORY: '768m', BERTH_AGENT_CPUS: '0.75' });
    const s = await core.service.create({ name: 'tuned', repo: makeRepo(), kind: 'agent' });
    expect(await hostConfigOf(s.containerId!)).toMatchObject({ NanoCpus: 0.75e9, Memory: 768 * 1024 ** 2 });
  });

  it('bad limits and kinds are refused before anything is made', async () => {
    const core = await coreWith();
    const repo = makeRepo();
    const bad = [
      { cpus: 0 },
      { cpus: Number.NaN },
      { memoryBytes: 1024 },
      { pids: 5 },
      { pids: 1.5 },
      { kind: 'robot' as 'agent' },
    ];
    for (const b of bad) {
      await expect(core.service.create({ name: 'nope', repo, ...b })).rejects.toBeInstanceOf(InvalidInput);
    }
    expect(await core.service.list()).toHaveLength(0);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');
  });
});

describe('gVisor runtime', () => {
  it('asking for gVisor on an engine without it is refused with how to install it; nothing is made', async () => {
    const core = await coreWith({ BERTH_GVISOR_RUNTIME: 'berth-test-no-such-runtime' });
    const repo = makeRepo();
    const err = await core.service.create({ name: 'boxed', repo, runtime: 'gvisor' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as InvalidInput).message).toMatch(
      /gVisor runtime \(berth-test-no-such-runtime\) is not registered/,
    );
    expect((err as InvalidInput).hint).toMatch(/apt-get install runsc/);
    expect((err as InvalidInput).hint).toMatch(/daemon\.json/);
    expect(await core.service.list()).toHaveLength(0);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');
  });

  it('BERTH_RUNTIME=gvisor makes gVisor the default, and is refused the same way without it', async () => {
    const core = await coreWith({
      BERTH_RUNTIME: 'gvisor',
      BERTH_GVISOR_RUNTIME: 'berth-test-no-such-runtime',
    });
    await expect(core.service.create({ name: 'boxed', repo: makeRepo() })).rejects.toThrow(/not registered/);
    const plain = await core.service.create({ name: 'plain', repo: makeRepo(), runtime: 'runc' });
    expect(plain.runtime).toBe('runc');
    expect((await hostConfigOf(plain.containerId!)).Runtime).toBe('runc');
  });

  it('a gVisor session asks the engine for the configured runtime name, with pids headroom', async () => {
    // This engine has no runsc; naming runc as "the gVisor runtime" exercises the same path berth
    // takes with runsc (engine check, HostConfig.Runtime, pids headroom) on a runtime it has.
    const core = await coreWith({ BERTH_GVISOR_RUNTIME: 'runc' });
    const s = await core.service.create({ name: 'boxed', repo: makeRepo(), runtime: 'gvisor', pids: 100 });
    expect(s.runtime).toBe('gvisor');
    expect(s.limits.pids).toBe(100);
    expect(await hostConfigOf(s.containerId!)).toMatchObject({ Runtime: 'runc', PidsLimit: 164 });
  });
});
