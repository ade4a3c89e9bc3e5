import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  type BerthConfig,
  type Core,
  LABEL_HOME,
  LABEL_ROLE,
  loadConfig,
  openCore,
  ROLE_RELAY,
} from '@berth/core';
import Docker from 'dockerode';
import { onTestFinished } from 'vitest';

/** Built by `npm test`'s setup step (scripts/setup.mjs). */
export const BUSYBOX_IMAGE = 'berth-test/busybox:1';
/** berth's own session image: glibc and Node, so every agent of the tools volume runs in it. */
export const SESSION_IMAGE = 'berth/session:bookworm';

export const docker = new Docker();

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();
}

export function tempDir(prefix: string, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, prefix));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A real git repo with one commit on `main`. */
export function makeRepo(
  files: Record<string, string> = { 'README.md': '# demo\n' },
  parent?: string,
): string {
  const dir = tempDir('berth-repo-', parent);
  git(dir, 'init', '-q', '-b', 'main');
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'initial');
  return dir;
}

/** Every container of a berth home, then its networks and volumes: a test leaves none. */
export async function removeContainersOf(home: string): Promise<void> {
  const label = [`${LABEL_HOME}=${home}`];
  const list = await docker.listContainers({ all: true, filters: { label } });
  await Promise.all(
    list.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  // Filtered sessions' networks and berth's egress network of this home, once their containers are gone.
  const networks = await docker.listNetworks({ filters: { label } });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => undefined),
    ),
  );
  const { Volumes } = await docker.listVolumes({ filters: { label } });
  await Promise.all(
    (Volumes ?? []).map((v) =>
      docker
        .getVolume(v.Name)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
}

export function testConfig(overrides: Partial<BerthConfig> = {}, env: NodeJS.ProcessEnv = {}): BerthConfig {
  const home = tempDir('berth-home-');
  onTestFinished(() => removeContainersOf(home));
  // Members may name the repositories makeRepo makes (under the temp dir), as an operator allows
  // a team's with BERTH_REPO_ROOTS; a test of the roots themselves passes its own.
  const roots = { BERTH_REPO_ROOTS: tmpdir() };
  return { ...loadConfig({ BERTH_HOME: home, BERTH_IMAGE: BUSYBOX_IMAGE, ...roots, ...env }), ...overrides };
}

export async function testCore(overrides: Partial<BerthConfig> = {}): Promise<Core> {
  const config = testConfig(overrides);
  const core = await openCore(config);
  onTestFinished(() => core.close());
  return core;
}

/** The containers of a berth home but berth's egress relay (the daemon's own, no session's). */
export async function containersOf(home: string) {
  const all = await docker.listContainers({ all: true, filters: { label: [`${LABEL_HOME}=${home}`] } });
  return all.filter((c) => c.Labels[LABEL_ROLE] !== ROLE_RELAY);
}

/** GET http://127.0.0.1:port/ → status and body; null when nothing answers within `timeoutMs`. */
export function httpGet(port: number, timeoutMs = 5_000): Promise<{ status: number; body: string } | null> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}
