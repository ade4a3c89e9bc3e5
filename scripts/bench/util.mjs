// Small helpers the scenarios share: git with a fixed identity, test repositories, processes, ports.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root (scripts/bench/ is two levels down). */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Memory for sessions that only sleep or serve a page: small, so a hundred of them cost the machine little. */
export const SMALL_SESSION_MEMORY = 32 * 1024 ** 2;

/** Progress goes to stderr: stdout is the table or the one JSON line. */
export const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** git with no inherited GIT_* variable, a fixed identity and no system config. */
function gitEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'berth bench',
    GIT_AUTHOR_EMAIL: 'bench@berth.invalid',
    GIT_COMMITTER_NAME: 'berth bench',
    GIT_COMMITTER_EMAIL: 'bench@berth.invalid',
    LC_ALL: 'C',
  };
}

export function git(cwd, args) {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: gitEnv(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`git ${args.join(' ')} failed in ${cwd}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/** stdout of a command, or its failure with stderr. */
export function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args[0]} failed: ${String(stderr).slice(0, 400) || err.message}`));
      else resolve(String(stdout));
    });
  });
}

/** A repository with `count` small files spread over directories of 100, one commit on main. */
export async function makeRepo(dir, count) {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  const files = [];
  for (let i = 0; i < count; i++) {
    files.push({ dir: join(dir, 'src', `d${String(Math.floor(i / 100)).padStart(3, '0')}`), i });
  }
  const dirs = [...new Set(files.map((f) => f.dir))];
  for (const d of dirs) await mkdir(d, { recursive: true });
  for (let at = 0; at < files.length; at += 256) {
    await Promise.all(
      files
        .slice(at, at + 256)
        .map((f) =>
          writeFile(
            join(f.dir, `file${f.i}.txt`),
            `file ${f.i}\n${'lorem ipsum dolor sit amet\n'.repeat(4)}`,
          ),
        ),
    );
  }
  await writeFile(join(dir, 'README.md'), `# bench repo, ${count} files\n`);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', `bench: ${count} files`]);
  return dir;
}

/** Flushes dirty pages so one timed step does not pay for the previous step's writes. */
export function syncDisks() {
  return new Promise((resolve) => execFile('sync', [], () => resolve()));
}

export function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Stops a child we started: SIGTERM, then SIGKILL if it has not gone in `ms`. */
export async function stopChild(child, ms) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  if (await waitExit(child, ms)) return;
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    return; // already gone
  }
  await waitExit(child, 3_000);
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}
