import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
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
