import { join } from 'node:path';
import { BerthClient } from '@berth/api/node';
import { containersOf, docker, git, makeRepo } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';

describe('a daemon killed in the middle of work', () => {
  it('SIGKILL during a burst of creates leaves, after restart, no orphan container and no phantom session', async () => {
    const cli = berthCli({ BERTH_MAX_RUNNING: '50' });
    const repo = makeRepo();
    expect((await cli.run('ls')).code).toBe(0);
    const pid = cli.daemonPid()!;
    const client = new BerthClient({ socketPath: join(cli.home, 'berth.sock') });

    const burst = Array.from({ length: 8 }, (_, i) => client.createSession({ name: `burst-${i}`, repo }));
    // Let some creates finish and catch others mid-way (working copy made, container not yet).
    await new Promise((r) => setTimeout(r, 900));
    process.kill(pid, 'SIGKILL');
    const results = await Promise.allSettled(burst);
    expect(results.some((r) => r.status === 'rejected')).toBe(true);

    // The next command starts a fresh daemon, which reconciles before it answers.
    expect((await cli.run('ls')).code).toBe(0);
    expect(cli.daemonPid()).not.toBe(pid);

    // The engine may finish a create or start the killed daemon had asked for after the new
    // daemon's first look; its events catch those within moments. Poll for the invariant.
    const violations = async () => {
      const sessions = await client.listSessions();
      const containers = await containersOf(cli.home);
      const live = sessions.filter((s) => ['running', 'paused', 'stopped'].includes(s.status));
      const found: string[] = [];
      for (const s of sessions.filter((x) => x.status === 'creating')) found.push(`${s.name} still creating`);
      // Every container belongs to a live session that names it...
      for (const c of containers) {
        if (!live.some((s) => s.containerId === c.Id)) found.push(`orphan container ${c.Names[0]}`);
      }
      // ...and every session that names a container has it.
      for (const s of sessions.filter((x) => x.containerId)) {
        const exists = await docker
          .getContainer(s.containerId!)
          .inspect()
          .then(
            () => true,
            () => false,
          );
        if (!exists) found.push(`${s.name} claims a missing container`);
      }
      return { found, sessions };
    };
    let check = await violations();
    for (let i = 0; i < 50 && check.found.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      check = await violations();
    }
    expect(check.found).toEqual([]);
    const sessions = check.sessions;
    // Interrupted creates are marked failed with the reason, and removable.
    for (const s of sessions.filter((x) => x.status === 'failed')) {
      expect(s.statusReason).toMatch(/interrupted/);
      expect(git(repo, 'branch', '--list', s.branch)).toBe('');
      await client.remove(s.name);
    }
    const db = new Database(join(cli.home, 'berth.db'), { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
  });
});
