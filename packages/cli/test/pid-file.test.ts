/**
 * `berth.pid` identifies the daemon by its pid and its start together: after a kill, a reboot or
 * a container's removal the same pid names another process, which must neither block a new daemon
 * nor be signalled by `berth daemon stop`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processWithPid } from '@berth/server/pid-file';
import { type Berth, BIN, berthCli, type Run } from '@berth/testkit/cli';
import { describe, expect, it, onTestFinished } from 'vitest';

/** A live process that is not berth's daemon, ended after the test. */
function bystander(): ChildProcess & { pid: number } {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  if (!child.pid) throw new Error('could not spawn sleep');
  return child as ChildProcess & { pid: number };
}

const alive = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;

/** `berth serve` in the foreground, killed after 20 s should it (wrongly) keep running. */
function serve(cli: Berth): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, 'serve'], { env: cli.env, timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('berth.pid identifies the daemon process, not just a pid', () => {
  it.each([
    ['only its pid (as a daemon killed before this check wrote it)', (pid: number) => `${pid}\n`],
    ['its pid and another process’s start (the pid reused)', (pid: number) => `${pid}\nstart none/1\n`],
  ])(
    'a stale file naming a live unrelated process by %s: stop leaves that process alone and the CLI starts its daemon',
    async (_, text) => {
      const cli = berthCli();
      const other = bystander();
      const pidFile = join(cli.home, 'berth.pid');
      writeFileSync(pidFile, text(other.pid));

      const before = await cli.json<{ running: boolean }>('daemon', 'status');
      expect(before.running).toBe(false);
      const idle = await cli.json<{ stopped: boolean; pid: number | null }>('daemon', 'stop');
      expect(idle).toEqual({ stopped: false, pid: null });
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(other)).toBe(true);

      const ls = await cli.run('ls');
      expect(ls.code, ls.stderr).toBe(0);
      expect(ls.stderr).toContain('started one');
      const daemon = cli.daemonPid();
      expect(daemon).not.toBe(other.pid);
      const status = await cli.json<{ running: boolean; pid: number }>('daemon', 'status');
      expect(status).toMatchObject({ running: true, pid: daemon });

      const stop = await cli.json<{ stopped: boolean; pid: number }>('daemon', 'stop');
      expect(stop).toEqual({ stopped: true, pid: daemon });
      expect(existsSync(pidFile)).toBe(false);
      expect(alive(other)).toBe(true);
    },
  );

  it('a running daemon keeps its file: a second `berth serve` refuses, naming it', async () => {
    const cli = berthCli();
    expect((await cli.run('ls')).code).toBe(0);
    const daemon = cli.daemonPid();
    const second = await serve(cli);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`a berth daemon already runs for ${cli.home} (pid ${daemon})`);
    expect(cli.daemonPid()).toBe(daemon);
    expect((await cli.json<{ running: boolean; pid: number }>('daemon', 'status')).pid).toBe(daemon);
  });

  it('a file naming its live process by pid and start is honoured (a daemon still starting): serve refuses, stop ends it', async () => {
    const cli = berthCli();
    const starting = bystander();
    const identity = processWithPid(starting.pid);
    expect(identity?.start, 'this test needs /proc').toBeTruthy();
    writeFileSync(join(cli.home, 'berth.pid'), `${starting.pid}\nstart ${identity?.start}\n`);

    const second = await serve(cli);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`(pid ${starting.pid})`);
    expect(readFileSync(join(cli.home, 'berth.pid'), 'utf8').split('\n')[0]).toBe(String(starting.pid));

    const stop = await cli.json<{ stopped: boolean; pid: number }>('daemon', 'stop');
    expect(stop).toEqual({ stopped: true, pid: starting.pid });
    if (alive(starting)) await once(starting, 'exit');
    expect(starting.signalCode).toBe('SIGTERM');
    rmSync(join(cli.home, 'berth.pid')); // its process is gone: nothing for the cleanup to signal
  });
});
