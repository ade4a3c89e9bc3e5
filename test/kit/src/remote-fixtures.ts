import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { git, makeRepo, tempDir } from './fixtures.js';

export const SSHD = '/usr/sbin/sshd';

/** Why the SSH tests cannot run here, or false when they can. */
export function sshdMissing(): string | false {
  if (!existsSync(SSHD)) return `no ${SSHD} (install openssh-server: scripts/setup.mjs --for-tests)`;
  // sshd wants its privilege-separation directory; only root may make it (startSshd does).
  if (process.getuid?.() !== 0 && !existsSync('/run/sshd')) return 'no /run/sshd, and only root may make it';
  return false;
}

/** A bare repository in a temp dir holding `files` on `main` (what a hosting service serves). */
export function makeBareRemote(files: Record<string, string> = { 'README.md': '# remote\n' }): string {
  const work = makeRepo(files);
  const bare = join(tempDir('berth-remote-'), 'project.git');
  git(work, 'init', '-q', '--bare', '-b', 'main', bare);
  git(work, 'push', '-q', bare, 'main');
  return bare;
}

/** Commits `files` on `branch` of a bare repository, as someone else pushing there would. */
export function pushToRemote(
  bare: string,
  files: Record<string, string>,
  message: string,
  branch = 'main',
): string {
  const work = tempDir('berth-pusher-');
  git(work, 'clone', '-q', '-b', branch, bare, '.');
  for (const [name, content] of Object.entries(files)) writeFileSync(join(work, name), content);
  git(work, 'add', '-A');
  git(work, 'commit', '-q', '-m', message);
  git(work, 'push', '-q', 'origin', branch);
  return git(work, 'rev-parse', 'HEAD');
}

export function sshKeyPair(dir: string, args: string[] = ['-t', 'ed25519']): { priv: string; pub: string } {
  const file = join(dir, `key-${Math.random().toString(36).slice(2)}`);
  execFileSync('ssh-keygen', ['-q', ...args, '-N', '', '-C', 'berth-test', '-f', file]);
  return { priv: readFileSync(file, 'utf8'), pub: readFileSync(`${file}.pub`, 'utf8') };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('data', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    setTimeout(() => {
      sock.destroy();
      resolve(false);
    }, 1000);
  });
}

export interface TestSshd {
  port: number;
  user: string;
  /** The private key authorized to log in. */
  clientKey: string;
  clientPub: string;
  url(path: string): string;
  stop(): Promise<void>;
}

/**
 * An sshd for the enclosing `describe`: started before its tests (unless `skip`), stopped and its
 * directory removed after. The getter returns it once started.
 */
export function sshdForSuite(skip: unknown = false): () => TestSshd {
  let sshd: TestSshd | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    if (skip) return;
    dir = mkdtempSync(join(tmpdir(), 'berth-sshd-'));
    sshd = await startSshd(dir);
  });
  afterAll(async () => {
    await sshd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  return () => {
    if (!sshd) throw new Error('the suite has no sshd (skipped, or not started yet)');
    return sshd;
  };
}

/**
 * A real sshd on loopback, as the running user, with its own host key and an authorized_keys holding
 * one freshly made key. Nothing of the host's own sshd configuration is read.
 */
export async function startSshd(dir: string): Promise<TestSshd> {
  const hostKey = join(dir, 'host_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', hostKey]);
  const client = sshKeyPair(dir);
  writeFileSync(join(dir, 'authorized_keys'), client.pub, { mode: 0o600 });
  const port = await freePort();
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      'StrictModes no',
      'UsePAM no',
      'PidFile none',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  // sshd's privilege-separation directory (Debian's package makes it only at service start).
  if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
  const child: ChildProcess = spawn(SSHD, ['-D', '-e', '-f', config], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const deadline = Date.now() + 10_000;
  while (!(await answers(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill();
      throw new Error(`sshd did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const user = userInfo().username;
  return {
    port,
    user,
    clientKey: client.priv,
    clientPub: client.pub,
    url: (path) => `ssh://${user}@127.0.0.1:${port}${path}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        if (child.pid) process.kill(child.pid, 'SIGTERM');
      }),
  };
}
