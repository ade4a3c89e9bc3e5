import { makeRepo } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

describe('berth exec of a command that prints without end', () => {
  it('prints its start, ends it, and says so on stderr and in --json', async () => {
    const cli = berthCli();
    expect((await cli.run('new', 'loud', '--repo', makeRepo())).code).toBe(0);
    const r = await cli.run('exec', 'loud', '--', 'yes');
    expect(r.stdout.length).toBe(16 * 1024 * 1024);
    expect(r.stdout.startsWith('y\ny\n')).toBe(true);
    expect(r.stderr).toMatch(/passed the daemon's limit, so the command was ended/);
    expect(r.stderr).toContain("berth exec loud -- sh -c 'CMD > out.txt'");
    const j = await cli.run('exec', 'loud', '--json', '--', 'sh', '-c', 'echo hi; yes >&2');
    const out = JSON.parse(j.stdout) as { stdout: string; stderr: string; truncated: boolean };
    expect(out).toMatchObject({ stdout: 'hi\n', truncated: true });
    const quiet = await cli.run('exec', 'loud', '--json', '--', 'true');
    expect(JSON.parse(quiet.stdout)).toEqual({ exitCode: 0, stdout: '', stderr: '', truncated: false });
  });
});
