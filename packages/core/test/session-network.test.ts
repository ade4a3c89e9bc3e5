import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { containersOf, docker, makeRepo, testCore } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';

function network(name: string, ...opts: string[]): void {
  execFileSync('docker', ['network', 'create', ...opts, name], { stdio: 'ignore' });
  onTestFinished(() => {
    execFileSync('docker', ['network', 'rm', name], { stdio: 'ignore' });
  });
}

// The shared network of unfiltered sessions (BERTH_EGRESS=off, or made before berth filtered).
describe('the session network', () => {
  it('one of that name that lets containers reach each other is refused, and nothing is made', async () => {
    const name = `berth-test-open-${randomBytes(3).toString('hex')}`;
    network(name); // a plain bridge: inter-container traffic on
    const core = await testCore({ sessionNetwork: name, egressMode: 'off' });
    await expect(core.service.create({ name: 'apart', repo: makeRepo() })).rejects.toMatchObject({
      message: expect.stringContaining('does not keep sessions apart (driver bridge, enable_icc unset)'),
      hint: `remove it (\`docker network rm ${name}\`) so berth makes its own, or set BERTH_NETWORK to another name`,
    });
    expect(await core.service.list()).toEqual([]);
    expect(await containersOf(core.config.home)).toEqual([]);
    expect((await docker.getNetwork(name).inspect()).Containers).toEqual({});
  });

  it('one made elsewhere that keeps sessions apart is used as it is', async () => {
    const name = `berth-test-apart-${randomBytes(3).toString('hex')}`;
    network(name, '-o', 'com.docker.network.bridge.enable_icc=false');
    const core = await testCore({ sessionNetwork: name, egressMode: 'off' });
    const s = await core.service.create({ name: 'apart', repo: makeRepo() });
    const info = await docker.getContainer(s.containerId!).inspect();
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([name]);
    await core.service.remove('apart', { force: true });
  });
});
