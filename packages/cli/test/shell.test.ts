import { spawn } from 'node:child_process';
import { makeRepo } from '@berth/testkit';
import { BIN, berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

describe('berth shell', () => {
  it('is an interactive TTY: typed commands run, and it exits with the shell’s code', async () => {
    const cli = berthCli();
    expect((await cli.run('new', 'tty', '--repo', makeRepo())).code).toBe(0);
    // util-linux `script` gives the CLI a real pseudo-terminal, as a user's terminal would.
    const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} shell tty`, '/dev/null'], {
      env: { ...cli.env, COLUMNS: '100', LINES: '30' },
    });
    let screen = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString('utf8');
      // busybox sh asks where the cursor is; a terminal answers.
      if (d.includes('\x1b[6n')) child.stdin.write('\x1b[1;1R');
      if (!typed && /\$ /.test(screen)) {
        typed = true;
        setTimeout(() => child.stdin.write('echo "tty=$(tty) sum=$((6*7))"; exit 5\r'), 200);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(screen).toContain('sum=42');
    expect(screen).toMatch(/tty=\/dev\/pts\/\d+/);
    expect(code).toBe(5);
  });
});
