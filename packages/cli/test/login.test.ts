import { createServer } from 'node:net';
import { tempDir } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('users, login and tokens from the CLI', () => {
  it('adds the first admin over the unix socket; login over TCP keeps a token that works until revoked', async () => {
    const port = await freePort();
    const host = berthCli({ BERTH_PORT: String(port) });
    const empty = await host.runWithInput('', 'user', 'add', 'ada', '--admin', '--password-stdin');
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('no password on stdin');
    expect(
      (await host.runWithInput('a-long-password\n', 'user', 'add', 'ada', '--admin', '--password-stdin'))
        .code,
    ).toBe(0);

    const url = `http://127.0.0.1:${port}`;
    // Another machine's view: BERTH_URL, its own config directory, no unix socket.
    const laptop = berthCli({ BERTH_URL: url, XDG_CONFIG_HOME: tempDir('berth-cfg-') });
    const refused = await laptop.run('ls');
    expect(refused.code).toBe(8);
    expect(refused.stderr).toContain('berth login');
    const wrong = await laptop.runWithInput('nope\n', 'login', '--url', url, '-u', 'ada', '--password-stdin');
    expect(wrong.code).toBe(8);
    const login = await laptop.runWithInput(
      'a-long-password\n',
      'login',
      '--url',
      url,
      '-u',
      'ada',
      '--password-stdin',
    );
    expect(login.code, login.stderr).toBe(0);
    expect(await laptop.json('ls')).toEqual([]);
    const tokens = await laptop.json<Array<{ id: string; name: string }>>('token', 'ls');
    expect(tokens).toHaveLength(1);
    expect((await laptop.run('token', 'revoke', tokens[0]!.id)).code).toBe(0);
    const after = await laptop.run('ls');
    expect(after.code).toBe(8);
    expect(after.stderr).toContain('not valid');
  });
});
