import { join } from 'node:path';
import { BerthClient } from '@berth/api/node';
import { makeRepo } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

describe('SIGTERM', () => {
  it('drains: a request in flight completes, WebSockets are closed, and the next start picks up', async () => {
    const cli = berthCli();
    expect((await cli.run('new', 'drain', '--repo', makeRepo())).code).toBe(0);
    const pid = cli.daemonPid()!;
    const client = new BerthClient({ socketPath: join(cli.home, 'berth.sock') });
    const ws = client.events();
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const wsClosed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    const inFlight = client.exec('drain', ['sh', '-c', 'sleep 1; echo done']);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGTERM');
    const r = await inFlight;
    expect(r.stdout.toString()).toBe('done\n');
    expect(await wsClosed).toBe(1001);
    const alive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await expect.poll(alive, { timeout: 10_000, interval: 50 }).toBe(false);
    // The session outlives its daemon; the next command starts a daemon that finds it running.
    const shown = await cli.json<{ status: string }>('show', 'drain');
    expect(shown.status).toBe('running');
    expect(cli.daemonPid()).not.toBe(pid);
  });
});
