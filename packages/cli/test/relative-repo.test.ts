import { realpathSync } from 'node:fs';
import { BerthClient } from '@berth/api/node';
import { containersOf, git, makeRepo, SESSION_IMAGE } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

describe('a relative --repo means the caller’s directory, never the daemon’s', () => {
  it('daemon started in repo A, `new --repo .` from repo B makes the session on B', async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE });
    const a = makeRepo({ 'a.txt': 'A\n' });
    const b = makeRepo({ 'b.txt': 'B\n' });
    // The auto-started daemon inherits A as its working directory.
    expect((await cli.runIn(a, 'ls')).code).toBe(0);

    const made = await cli.runIn(b, 'new', 'rel', '--repo', '.', '--json');
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ repo: realpathSync(b), branch: 'berth/rel' });

    expect((await cli.run('exec', 'rel', '--', 'sh', '-c', 'ls > seen.txt')).code).toBe(0);
    expect((await cli.run('finish', 'rel', '-m', 'From B')).code).toBe(0);
    expect(git(b, 'show', 'berth/rel:seen.txt')).toContain('b.txt');
    expect(() => git(a, 'rev-parse', '--verify', '-q', 'berth/rel')).toThrow();
    expect(await containersOf(cli.home)).toHaveLength(0);
  });

  it('`dispatch` from a subdirectory of B works on B (the repository, not the daemon’s directory)', async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE });
    const a = makeRepo();
    const b = makeRepo({ 'src/app.js': '1\n' });
    expect((await cli.runIn(a, 'ls')).code).toBe(0);
    const s = await cli.runIn(`${b}/src`, 'dispatch', '--agent', 'shell', '--prompt', 'echo hi', '--json');
    expect(s.code).toBe(0);
    expect(JSON.parse(s.stdout)).toMatchObject({ repo: realpathSync(b), kind: 'agent' });
  });

  it('the daemon refuses a relative path from any other caller, and makes nothing', async () => {
    const cli = berthCli();
    const a = makeRepo();
    expect((await cli.runIn(a, 'ls')).code).toBe(0);
    const client = new BerthClient({ socketPath: `${cli.home}/berth.sock` });
    await expect(client.createSession({ name: 'rel', repo: '.' })).rejects.toMatchObject({
      status: 400,
      problem: { code: 'invalid_input', detail: expect.stringContaining('relative') },
    });
    expect((await cli.json<unknown[]>('ls', '--all')).length).toBe(0);
    expect(await containersOf(cli.home)).toHaveLength(0);
    expect(() => git(a, 'rev-parse', '--verify', '-q', 'berth/rel')).toThrow();
  });
});
