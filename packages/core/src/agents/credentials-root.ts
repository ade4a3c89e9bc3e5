/**
 * Where sessions' credentials live on the host, and keeping that place the daemon's own: the
 * root on a tmpfs (/dev/shm, else $XDG_RUNTIME_DIR, else under BERTH_HOME), checks that it is a
 * real 0700 directory of the daemon's user and never a symlink someone else planted, and a
 * private random-named root recorded under BERTH_HOME when the usual one is taken. Also what
 * names a session's entry there, so nothing else in the root is ever removed.
 */
import { createHash } from 'node:crypto';
import { accessSync, constants, statSync } from 'node:fs';
import { chmod, lstat, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Conflict } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';

/** Session ids are UUIDs: the only names berth ever makes (and so ever removes) in the root. */
export const SESSION_ID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Under BERTH_HOME: the root berth moved to when the usual one was taken (claimCredentialsRoot). */
const RECORDED_ROOT_FILE = 'credentials-root';

/**
 * Where a session's credentials are put on the host: a tmpfs (/dev/shm, else $XDG_RUNTIME_DIR) so
 * they never touch a disk; under BERTH_HOME only when neither is usable.
 */
export function defaultCredentialsRoot(home: string, env: NodeJS.ProcessEnv = process.env): string {
  const tag = createHash('sha256').update(home).digest('hex').slice(0, 12);
  for (const base of ['/dev/shm', env.XDG_RUNTIME_DIR]) {
    if (!base) continue;
    try {
      if (!statSync(base).isDirectory()) continue;
      accessSync(base, constants.W_OK | constants.X_OK);
      return join(base, `berth-${tag}`);
    } catch {
      // not usable: try the next
    }
  }
  return join(home, 'run', 'credentials');
}

/**
 * Makes `dir` (0700) unless it exists, then requires it to be a real directory, not a symlink,
 * owned by the daemon's user, and sets its mode to 0700. The default root's name is predictable
 * and /dev/shm is shared: another local user could have made it first, or made it a symlink so
 * that berth writes credentials into, or sweeps, a directory of theirs choosing.
 */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dirname(dir), { recursive: true, mode: 0o700 });
  await mkdir(dir, { mode: 0o700 }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  const problem = await privateDirProblem(dir);
  if (problem) {
    throw new Conflict(`${dir} cannot hold sessions' credentials: ${problem}`, {
      hint: `another local user may have made it: see who owns it (ls -ld ${dir}), remove it if it is not yours, then restart the berth daemon, which claims a private directory of its own`,
    });
  }
  // Not a link (checked just above), and /dev/shm is sticky: nobody else can swap it for one now.
  await chmod(dir, 0o700);
}

/** Whether `dir` is, or could be made, a private directory of the daemon's. */
async function isPrivateDir(dir: string): Promise<boolean> {
  return ensurePrivateDir(dir).then(
    () => true,
    () => false,
  );
}

/** What makes `dir` unfit for credentials, or null when it is a real directory of the daemon's. */
export async function privateDirProblem(dir: string): Promise<string | null> {
  const st = await lstat(dir).catch(() => null);
  if (!st) return 'it does not exist';
  if (st.isSymbolicLink()) return 'it is a symbolic link';
  if (!st.isDirectory()) return 'it is not a directory';
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid)
    return `it belongs to uid ${st.uid}, not to the daemon's uid ${uid}`;
  return null;
}

/**
 * The credentials root for this berth home: the usual one (defaultCredentialsRoot) when it is, or
 * can be made, a private directory of the daemon's; else the fresh random-named one a previous
 * start recorded under BERTH_HOME; else a new one of those, recorded. Never a directory someone
 * else made, so nobody can stop berth by squatting the predictable name.
 */
export async function claimCredentialsRoot(
  home: string,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const usual = defaultCredentialsRoot(home, env);
  try {
    await ensurePrivateDir(usual);
    return usual;
  } catch (err) {
    logger.warn(
      { err, root: usual },
      'the usual credentials directory is taken; using a private one instead',
    );
  }
  const record = join(home, RECORDED_ROOT_FILE);
  const recorded = (await readFile(record, 'utf8').catch(() => '')).trim();
  const isOurs = dirname(recorded) === dirname(usual) && basename(recorded).startsWith(`${basename(usual)}-`);
  if (isOurs && (await isPrivateDir(recorded))) return recorded;
  // mkdtemp makes a new 0700 directory under a name nobody could have guessed and taken first.
  const fresh = await mkdtemp(`${usual}-`);
  await writeFile(record, `${fresh}\n`, { mode: 0o600 });
  return fresh;
}
