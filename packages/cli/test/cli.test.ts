import { existsSync } from 'node:fs';
import { containersOf, git, makeRepo, SESSION_IMAGE, tempDir } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

interface SessionJson {
  id: string;
  name: string;
  status: string;
  branch: string;
  baseBranch: string;
  repo: string;
  image: string;
  containerId: string | null;
  createdAt: string;
}

describe('berth CLI end to end (real daemon, engine, git, SQLite)', () => {
  it('new → exec writes a file → finish leaves a commit on berth/NAME and no container', async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE });
    const repo = makeRepo();
    const created = await cli.run('new', 'feat', '--repo', repo, '--json');
    expect(created.stderr).toContain('started one');
    expect(created.code).toBe(0);
    const s = JSON.parse(created.stdout) as SessionJson;
    for (const key of [
      'id',
      'name',
      'status',
      'branch',
      'baseBranch',
      'repo',
      'image',
      'containerId',
      'createdAt',
    ]) {
      expect(s).toHaveProperty(key);
    }
    expect(s).toMatchObject({ name: 'feat', status: 'running', branch: 'berth/feat', baseBranch: 'main' });

    const w = await cli.run(
      'exec',
      'feat',
      '--',
      'sh',
      '-c',
      'echo made-in-session > result.txt; echo to-err >&2; exit 7',
    );
    expect(w.code).toBe(7);
    expect(w.stderr).toBe('to-err\n');
    expect(w.stdout).toBe('');

    const fin = await cli.run('finish', 'feat', '-m', 'Add result');
    expect(fin.code).toBe(0);
    expect(git(repo, 'log', '-1', '--format=%s', 'berth/feat')).toBe('Add result');
    expect(git(repo, 'show', 'berth/feat:result.txt')).toBe('made-in-session');
    expect(await containersOf(cli.home)).toHaveLength(0);

    const shown = await cli.json<SessionJson>('show', 'feat');
    expect(shown.status).toBe('finished');
    expect(shown.containerId).toBeNull();
  });

  it('cancel removes branch, working copy and container', async () => {
    const cli = berthCli();
    const repo = makeRepo();
    const s = await cli.json<SessionJson & { id: string }>('new', 'gone', '--repo', repo);
    expect(git(repo, 'branch', '--list', 'berth/gone')).toContain('berth/gone');
    expect((await cli.run('cancel', 'gone')).code).toBe(0);
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');
    expect(existsSync(`${cli.home}/workspaces/${s.id}`)).toBe(false);
    expect(await containersOf(cli.home)).toHaveLength(0);
    const all = await cli.json<SessionJson[]>('ls', '--all');
    expect(all.map((x) => [x.name, x.status])).toEqual([['gone', 'cancelled']]);
    expect(await cli.json<SessionJson[]>('ls')).toEqual([]);
  });

  it('logs, stats, diff and pause/resume print what they promise, with --json', async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE });
    const repo = makeRepo({ 'README.md': 'one\n' });
    expect((await cli.run('new', 'obs', '--repo', repo)).code).toBe(0);
    await cli.run(
      'exec',
      'obs',
      '--',
      'sh',
      '-c',
      'printf "two\\n" >> README.md; printf "\\033[31mred\\n" > esc.txt',
    );
    const diff = await cli.json<{ base: string; head: string; diff: string }>('diff', 'obs');
    expect(diff.diff).toContain('+two');
    expect(diff.diff).toContain('+++ b/esc.txt');
    expect(diff.diff).not.toContain('\u001b');
    const stats = await cli.json<{ memoryBytes: number; pids: number; memoryLimitBytes: number }>(
      'stats',
      'obs',
    );
    expect(stats.pids).toBeGreaterThan(0);
    expect(stats.memoryLimitBytes).toBe(2 * 1024 ** 3);
    const paused = await cli.json<{ status: string }>('pause', 'obs');
    expect(paused.status).toBe('paused');
    const refused = await cli.run('exec', 'obs', '--', 'true');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('berth resume obs');
    expect((await cli.json<{ status: string }>('resume', 'obs')).status).toBe('running');
    const logs = await cli.run('logs', 'obs', '--tail', '5');
    expect(logs.code).toBe(0);
  });

  it('commands started together share one daemon', async () => {
    const cli = berthCli();
    const runs = await Promise.all([cli.run('ls'), cli.run('ls'), cli.run('ls'), cli.run('ls')]);
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    const status = await cli.json<{ running: boolean; pid: number }>('daemon', 'status');
    expect(status.pid).toBe(cli.daemonPid());
  });

  it('daemon status and stop report the daemon and stop it', async () => {
    const cli = berthCli();
    const before = await cli.json<{ running: boolean }>('daemon', 'status');
    expect(before.running).toBe(false);
    await cli.run('ls');
    const up = await cli.json<{ running: boolean; pid: number; socket: string; version: string }>(
      'daemon',
      'status',
    );
    expect(up).toMatchObject({ running: true, socket: `${cli.home}/berth.sock` });
    expect(up.pid).toBe(cli.daemonPid());
    expect((await cli.run('daemon', 'stop')).code).toBe(0);
    expect((await cli.json<{ running: boolean }>('daemon', 'status')).running).toBe(false);
  });
});

describe('hostile input gets a clear error and changes nothing', () => {
  it('refuses bad names, non-repos, missing images, a 6th running session and finishing a cancelled one', async () => {
    const cli = berthCli({ BERTH_MAX_RUNNING: '2' });
    const repo = makeRepo();
    const refsBefore = git(repo, 'for-each-ref');
    const bad = ['a/b', '..', 'has space', 'x'.repeat(300), 'UPPER', 'trail-', 'dot.dot'];
    for (const name of bad) {
      const r = await cli.run('new', name, '--repo', repo);
      expect(r.code, name).toBe(2);
      expect(r.stderr).toMatch(/error: .*session name/);
      expect(r.stderr).toContain('→');
    }
    const notRepo = await cli.run('new', 'ok', '--repo', tempDir('berth-plain-'));
    expect(notRepo.code).toBe(2);
    expect(notRepo.stderr).toContain('is not a git repository');
    // berth's own directory, which sessions write, is refused before any git runs there.
    const home = await cli.run('new', 'ok', '--repo', cli.home);
    expect(home.code).toBe(2);
    expect(home.stderr).toContain("its files lie inside berth's own directory");
    const missing = await cli.run('new', 'ok', '--repo', '/nonexistent/path');
    expect(missing.stderr).toContain('does not exist');
    const noImage = await cli.run('new', 'ok', '--repo', repo, '--image', 'berth-test/absent:0');
    expect(noImage.code).toBe(2);
    expect(noImage.stderr).toContain('berth-test/absent:0 is not present');
    expect(git(repo, 'for-each-ref')).toBe(refsBefore);
    expect(await containersOf(cli.home)).toHaveLength(0);
    expect(await cli.json('ls', '--all')).toEqual([]);

    expect((await cli.run('new', 'one', '--repo', repo)).code).toBe(0);
    expect((await cli.run('new', 'two', '--repo', repo)).code).toBe(0);
    const third = await cli.run('new', 'three', '--repo', repo);
    expect(third.code).toBe(5);
    expect(third.stderr).toContain('2 of 2 sessions are already running');
    expect(third.stderr).toMatch(/berth pause NAME/);
    expect(git(repo, 'branch', '--list', 'berth/three')).toBe('');

    const dup = await cli.run('new', 'one', '--repo', repo);
    expect(dup.code).toBe(4);

    expect((await cli.run('cancel', 'two')).code).toBe(0);
    const fin = await cli.run('finish', 'two', '-m', 'x');
    expect(fin.code).toBe(4);
    expect(fin.stderr).toContain("cannot finish session 'two': it is cancelled");
    expect(await containersOf(cli.home)).toHaveLength(1);

    const unknown = await cli.run('show', 'nope');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('berth ls');
  });
});
