import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, onTestFinished } from 'vitest';
import { git } from './host-git.js';

const DAEMON_SECRETS = {
  BERTH_SECRET_KEY: 'a'.repeat(64),
  BERTH_ADMIN_PASSWORD: 'admin-password',
  BERTH_DATABASE_URL: 'postgres://berth:db-password@db:5432/berth',
  AWS_SECRET_ACCESS_KEY: 'aws-secret',
  GIT_DIR: '/somewhere/else',
};

/** The environment a program the host's git starts sees (a git alias runs `env`, as a hook would). */
async function envSeenByGit(): Promise<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-host-git-'));
  try {
    const out = await git(dir, ['-c', 'alias.show-env=!env', 'show-env']);
    return Object.fromEntries(
      out.stdout
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the host's git", () => {
  const saved = { ...process.env };
  afterEach(() => {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  });

  it("never hands the daemon's secrets to git, its hooks or ssh", async () => {
    Object.assign(process.env, DAEMON_SECRETS, { HTTPS_PROXY: 'http://proxy:3128', LC_CTYPE: 'C.UTF-8' });
    const env = await envSeenByGit();
    for (const name of Object.keys(DAEMON_SECRETS)) expect(env[name], name).toBeUndefined();
    for (const value of Object.values(DAEMON_SECRETS)) {
      expect(Object.values(env).some((v) => v.includes(value))).toBe(false);
    }
    // What git itself needs still reaches it.
    expect(env.PATH).toContain(process.env.PATH);
    expect(env.HTTPS_PROXY).toBe('http://proxy:3128');
    expect(env.LC_CTYPE).toBe('C.UTF-8');
    expect(env.GIT_CONFIG_NOSYSTEM).toBe('1');
  });
});

describe("the host's git in a git directory someone else wrote (security review F3, defence in depth)", () => {
  it('runs none of its hooks and no fsmonitor, though its own config asks for them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-host-git-hooks-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const repo = join(dir, 'repo');
    const own = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
    execFileSync('git', ['init', '-q', repo]);
    own('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '--allow-empty', '-m', 'x');
    const hooks = join(repo, '.git', 'hooks');
    mkdirSync(hooks, { recursive: true });
    for (const hook of ['reference-transaction', 'post-checkout']) {
      writeFileSync(join(hooks, hook), `#!/bin/sh\ntouch ${dir}/${hook}\n`, { mode: 0o755 });
    }
    writeFileSync(join(dir, 'fsmonitor'), `#!/bin/sh\ntouch ${dir}/fsmonitor-ran\n`, { mode: 0o755 });
    own('config', 'core.fsmonitor', join(dir, 'fsmonitor'));
    // The planted programs are live for a plain git.
    own('update-ref', 'refs/heads/control', 'HEAD');
    expect(existsSync(join(dir, 'reference-transaction'))).toBe(true);
    rmSync(join(dir, 'reference-transaction'));

    await git(repo, ['update-ref', 'refs/heads/other', 'HEAD']);
    await git(repo, ['checkout', '-q', '-b', 'side']);
    await git(repo, ['status', '--porcelain']);
    expect(existsSync(join(dir, 'reference-transaction'))).toBe(false);
    expect(existsSync(join(dir, 'post-checkout'))).toBe(false);
    expect(existsSync(join(dir, 'fsmonitor-ran'))).toBe(false);
  });
});
