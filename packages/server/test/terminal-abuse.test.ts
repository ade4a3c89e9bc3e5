import { BerthClient } from '@berth/api/node';
import { makeRepo } from '@berth/testkit';
import { listenLocal, testServer } from '@berth/testkit/server';
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';

const MiB = 1024 * 1024;

/** A shell over the WebSocket, its screen so far, and its exit frame. */
async function openShell(socketPath: string, name: string) {
  const ws = new BerthClient({ socketPath }).shell(name, { cols: 100, rows: 30 });
  const seen = { screen: '', bytes: 0 };
  const exit = new Promise<number>((resolve) => {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) {
        seen.bytes += data.length;
        if (seen.screen.length < 4096) seen.screen += data.toString('utf8');
        // busybox sh asks the terminal where the cursor is, as a real emulator would answer.
        if (data.includes('\x1b[6n')) ws.send(Buffer.from('\x1b[1;1R'), { binary: true });
      } else if (JSON.parse(data.toString('utf8')).type === 'exit') {
        resolve(JSON.parse(data.toString('utf8')).code);
      }
    });
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
  await new Promise((r) => ws.once('open', r));
  const deadline = Date.now() + 10_000;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: a terminal prompt ends in an escape
  while (!/\$ (\x1b\[J)?$/.test(seen.screen) && Date.now() < deadline) await sleep(20);
  return { ws, seen, exit, closed };
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

function type(ws: WebSocket, text: string) {
  ws.send(Buffer.from(text), { binary: true });
}

describe('terminal abuse', () => {
  it('keystrokes flooding in after the shell was killed end that terminal, not the daemon', async () => {
    const t = await testServer();
    await t.core.service.create({ name: 'flood', repo: makeRepo() });
    const socketPath = await listenLocal(t.app, t.core);
    for (let round = 0; round < 2; round++) {
      const { ws, seen, closed } = await openShell(socketPath, 'flood');
      type(ws, 'echo "pid=$$="\n');
      let pid: string | undefined;
      for (let i = 0; i < 200 && !pid; i++) {
        pid = /pid=(\d+)=/.exec(seen.screen)?.[1];
        await sleep(20);
      }
      expect(pid, seen.screen).toBeDefined();
      // 64 KiB every millisecond while the shell is killed from outside: writes hit a closed peer.
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      const pump = setInterval(() => {
        if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
      }, 1);
      await sleep(200);
      await t.core.service.exec('flood', ['kill', '-9', pid!]);
      await Promise.race([closed, sleep(10_000)]);
      clearInterval(pump);
      ws.terminate();
    }
    // Still here, and still serving: a new terminal works.
    expect((await t.inject('/health')).statusCode).toBe(200);
    const again = await openShell(socketPath, 'flood');
    type(again.ws, 'exit 4\n');
    expect(await Promise.race([again.exit, sleep(10_000).then(() => 'timeout')])).toBe(4);
  });

  it('a program flooding a terminal nobody reads waits for its reader: the daemon does not buffer it', async () => {
    const t = await testServer();
    await t.core.service.create({ name: 'spew', repo: makeRepo() });
    const socketPath = await listenLocal(t.app, t.core);
    const { ws, seen, exit } = await openShell(socketPath, 'spew');
    // The reader stops reading (a backgrounded tab, a slow link) before the flood starts.
    ws.pause();
    const total = 24 * MiB;
    type(ws, `head -c ${total} /dev/zero | tr '\\0' y; touch /tmp/flooded; exit 0\n`);
    const before = process.memoryUsage().rss;
    // Unread, the flood may get no further than the buffers on its way: a megabyte or two, not 24.
    const flooded = async () =>
      (await t.core.service.exec('spew', ['test', '-e', '/tmp/flooded'])).exitCode === 0;
    for (let i = 0; i < 15; i++) {
      await sleep(1000);
      expect(await flooded(), 'the flood ran to its end with nobody reading').toBe(false);
    }
    const grown = process.memoryUsage().rss - before;
    expect(grown, `the daemon's memory grew by ${Math.round(grown / MiB)} MiB`).toBeLessThan(16 * MiB);
    // Nothing was dropped: once the reader reads again, every byte arrives and the shell ends.
    ws.resume();
    expect(await Promise.race([exit, sleep(120_000).then(() => 'timeout')])).toBe(0);
    expect(seen.bytes).toBeGreaterThanOrEqual(total);
  }, 180_000);
});
