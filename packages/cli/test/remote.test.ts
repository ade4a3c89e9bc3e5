import { git, makeBareRemote, makeRepo, SESSION_IMAGE, sshKeyPair, tempDir } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

describe('berth new --repo URL, --git-user, --ssh-key and finish --push / --merge', () => {
  it('makes a session from a remote URL and pushes its branch back with the given identity', async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE });
    const bare = makeBareRemote({ 'README.md': 'cli\n' });
    const url = `file://${bare}`;
    const made = await cli.run(
      'new',
      'far',
      '--repo',
      url,
      '--git-user',
      'Ada Lovelace',
      '--git-email',
      'ada@example.com',
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toContain(`cloning ${url}`);
    expect(await cli.json('show', 'far')).toMatchObject({ name: 'far', remote: url, baseBranch: 'main' });
    expect((await cli.run('exec', 'far', '--', 'sh', '-c', 'echo cli > cli.txt')).code).toBe(0);
    const shown = await cli.run('show', 'far');
    expect(shown.stdout).toContain('Ada Lovelace <ada@example.com>');
    const fin = await cli.run('finish', 'far', '-m', 'From the CLI', '--push', '--merge');
    expect(fin.code, fin.stderr).toBe(0);
    expect(fin.stdout).toContain('pushed to');
    expect(git(bare, 'log', '-1', '--format=%an|%s', 'berth/far')).toBe('Ada Lovelace|From the CLI');
    expect(git(bare, 'rev-parse', 'main')).toBe(git(bare, 'rev-parse', 'berth/far'));
  });

  it('refuses a public key on stdin, an unreadable key file, a lone --git-user and --push without a remote', async () => {
    const cli = berthCli();
    const keys = sshKeyPair(tempDir('berth-keys-'));
    const pub = await cli.runWithInput(
      keys.pub,
      'new',
      'k',
      '--repo',
      'ssh://git@127.0.0.1:1/r.git',
      '--ssh-key',
      '-',
    );
    expect(pub.code).toBe(2);
    expect(pub.stderr).toContain('public key');
    expect(pub.stderr).not.toContain(keys.pub.slice(20, 60));
    const missing = await cli.run(
      'new',
      'k',
      '--repo',
      'ssh://git@127.0.0.1:1/r.git',
      '--ssh-key',
      '/nonexistent/key',
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--ssh-key /nonexistent/key');
    const lone = await cli.run('new', 'k', '--repo', makeRepo(), '--git-user', 'Ada');
    expect(lone.code).toBe(2);
    expect(lone.stderr).toContain('--git-user and --git-email go together');
    const repo = makeRepo();
    expect((await cli.run('new', 'loc', '--repo', repo)).code).toBe(0);
    const push = await cli.run('finish', 'loc', '-m', 'x', '--push');
    expect(push.code).toBe(2);
    expect(push.stderr).toContain('no remote to push to');
    expect((await cli.json<{ status: string }>('show', 'loc')).status).toBe('running');
    expect((await cli.json<unknown[]>('ls')).length).toBe(1);
  });
});
