import { execFile, execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { git, makeRepo, removeContainersOf, SESSION_IMAGE, tempDir } from '@berth/testkit';
import { BIN } from '@berth/testkit/cli';
import { describe, expect, it, onTestFinished } from 'vitest';

/** `berth` as the shell finds it on PATH: setup links it there (scripts/setup.mjs, linkCli). */
function installedBerth(): string {
  const found = execFileSync('sh', ['-c', 'command -v berth || true'], { encoding: 'utf8' }).trim();
  if (!found) throw new Error('no `berth` on PATH: run `node scripts/setup.mjs --images` to install it');
  return found;
}

function runIn(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    // Through the shell, as a user types it: PATH finds the command.
    execFile('berth', args, { cwd, env }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('the installed `berth`, from a directory outside the checkout', () => {
  it('is this checkout’s CLI, and works on the repository you are in while the daemon runs from elsewhere', async () => {
    expect(realpathSync(installedBerth())).toBe(realpathSync(BIN));
    const home = tempDir('berth-installed-');
    const env = { ...process.env, BERTH_HOME: home, BERTH_IMAGE: SESSION_IMAGE, NO_COLOR: '1' };
    onTestFinished(async () => {
      await runIn(tmpdir(), env, 'daemon', 'stop');
      await removeContainersOf(home);
    });
    const elsewhere = tempDir('berth-elsewhere-');
    const mine = makeRepo({ 'app.txt': 'mine\n' });

    const version = await runIn(mine, env, '--version');
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);

    // The daemon starts from another directory...
    expect((await runIn(elsewhere, env, 'ls')).code).toBe(0);
    // ...and `--repo .` still means the directory the user is in.
    const made = await runIn(mine, env, 'new', 'try', '--repo', '.', '--json');
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout)).toMatchObject({ repo: realpathSync(mine), branch: 'berth/try' });
    expect(git(mine, 'rev-parse', '--verify', '-q', 'berth/try')).toMatch(/^[0-9a-f]{40}$/);

    const hi = await runIn(mine, env, 'dispatch', '--agent', 'shell', '--prompt', 'echo hi', '--json');
    expect(hi.code, hi.stderr).toBe(0);
    expect(JSON.parse(hi.stdout)).toMatchObject({
      repo: realpathSync(mine),
      kind: 'agent',
      status: 'running',
    });
  });
});
