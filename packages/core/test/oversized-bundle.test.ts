import { git, makeRepo, SESSION_IMAGE, testCore } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../src/logger.js';
import { GitWorkspaces, sessionRefs } from '../src/workspace/git-workspace.js';
import { takeSnapshot } from '../src/workspace/session-snapshot.js';
import { WorkCollector } from '../src/workspace/work-collector.js';

const MiB = 1024 * 1024;

describe('a session whose work is a big bundle', () => {
  it('is taken in through a file: 100 MiB of new work is diffed without the daemon holding it', async () => {
    const core = await testCore();
    const repo = makeRepo();
    await core.service.create({ name: 'bulky', repo, image: SESSION_IMAGE });
    const made = await core.service.exec('bulky', ['sh', '-c', 'head -c 104857600 /dev/urandom > big.bin']);
    expect(made.exitCode).toBe(0);
    global.gc?.();
    // The highest RSS while the diff runs, not after it: stream chunks wait for the collector, so
    // a few tens of MiB come and go either way; a daemon that held the bundle would add over 100.
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampling = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    const d = await core.service.diff('bulky').finally(() => clearInterval(sampling));
    const grown = Math.max(peak, process.memoryUsage().rss) - before;
    expect(d.diff).toMatch(/big\.bin/);
    expect(grown, `memory grew by ${Math.round(grown / MiB)} MiB`).toBeLessThan(64 * MiB);
  }, 180_000);

  it('past the limit is refused with what to do, and nothing is taken in', async () => {
    const core = await testCore();
    const repo = makeRepo();
    const s = await core.service.create({ name: 'huge', repo, image: SESSION_IMAGE });
    await core.service.exec('huge', ['sh', '-c', 'head -c 20971520 /dev/urandom > big.bin']);
    const collector = new WorkCollector({
      runtime: core.runtime,
      config: core.config,
      logger: silentLogger,
      bundleLimit: 8 * MiB,
    });
    const workspaces = new GitWorkspaces({
      workspacesDir: core.config.workspacesDir,
      berthHome: core.config.home,
    });
    const info = await workspaces.inspectRepo(repo);
    const taking = takeSnapshot({ collector, workspaces }, { ...s, containerId: s.containerId! }, info, 'x');
    await expect(taking).rejects.toMatchObject({
      message: expect.stringContaining('is over 8 MiB as a git bundle'),
      hint: expect.stringContaining('berth exec huge -- git log --stat'),
    });
    expect(git(repo, 'for-each-ref', sessionRefs(s.id).snapshot)).toBe('');
    // Nothing of the collect runs on in the session.
    const ps = await core.service.exec('huge', ['ps', '-eo', 'args']);
    expect(ps.stdout.toString()).not.toMatch(/git (bundle|pack-objects)/);
  }, 120_000);
});
