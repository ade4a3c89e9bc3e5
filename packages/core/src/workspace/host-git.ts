import { execFile, spawn } from 'node:child_process';
import { PassThrough, type Readable } from 'node:stream';
import { GitError } from '../errors/berth-error.js';

/**
 * What the host's git (and the ssh, hooks or helpers it might start) may see of the daemon's
 * environment: enough to find programs, read text and reach the network, never the daemon's own
 * secrets (BERTH_SECRET_KEY, BERTH_ADMIN_PASSWORD, BERTH_DATABASE_URL, a cloud token).
 */
const INHERITED_EXACT = new Set([
  'PATH',
  'HOME',
  'LANG',
  'TZ',
  'TMPDIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'ALL_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'all_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'GIT_SSL_CAINFO',
]);

function inherited(name: string): boolean {
  return INHERITED_EXACT.has(name) || name.startsWith('LC_');
}

/**
 * Config every host git runs with, as if given with -c (GIT_CONFIG_COUNT, git 2.31 on), the git
 * processes it starts included: no hook and no fsmonitor ever runs, whatever repository git is
 * pointed at. berth's own git needs neither, and a git directory a session could write (its hooks,
 * its config) must never run a program on the host.
 */
const FORCED_CONFIG: ReadonlyArray<readonly [string, string]> = [
  ['core.hooksPath', '/dev/null'],
  ['core.fsmonitor', 'false'],
];

/**
 * Runs the host's git with an environment it cannot be steered by: an allow-list of the daemon's
 * variables (no other GIT_*), no prompts, no lazy fetches. Only ever pointed at the user's own
 * repository, never at a directory a session can write.
 */
export function hostGitEnv(extra: HostGitExtraEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && inherited(k)) env[k] = v;
  env.GIT_TERMINAL_PROMPT = '0';
  env.GIT_NO_LAZY_FETCH = '1';
  env.GIT_CONFIG_NOSYSTEM = '1';
  env.LC_ALL = 'C';
  env.GIT_CONFIG_COUNT = String(FORCED_CONFIG.length);
  for (const [i, [key, value]] of FORCED_CONFIG.entries()) {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  }
  if (extra.GIT_SSH_COMMAND !== undefined) {
    // A remote call names its own ssh (key, known_hosts); the host's agent is never offered
    // (SSH_AUTH_SOCK and SSH_ASKPASS are not on the list above).
    env.GIT_SSH_COMMAND = extra.GIT_SSH_COMMAND;
  }
  if (extra.GIT_CONFIG_GLOBAL !== undefined) env.GIT_CONFIG_GLOBAL = extra.GIT_CONFIG_GLOBAL;
  return env;
}

/** The only variables a caller may hand the host's git on purpose (remote-repos.ts). */
export interface HostGitExtraEnv {
  GIT_SSH_COMMAND?: string;
  /** `/dev/null` (NO_GLOBAL_CONFIG): the daemon user's ~/.gitconfig is not read (git 2.32 on). */
  GIT_CONFIG_GLOBAL?: '/dev/null';
}

/**
 * For git that talks to a remote or checks out a tree from one: the daemon user's global config
 * (a `url.*.insteadOf` with a token, an `http.extraHeader`, filters, a hooks path) belongs to that
 * user, not to whichever member asked. The system config is already off (GIT_CONFIG_NOSYSTEM).
 */
export const NO_GLOBAL_CONFIG: HostGitExtraEnv = { GIT_CONFIG_GLOBAL: '/dev/null' };

export interface GitResult {
  stdout: string;
  stderr: string;
}

export function git(
  cwd: string,
  args: string[],
  opts: { allowFail?: false; env?: HostGitExtraEnv } = {},
): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { cwd, env: hostGitEnv(opts.env), maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err && !opts.allowFail) {
          const first = (stderr || err.message).trim().split('\n').slice(-1)[0] ?? '';
          reject(new GitError(`git ${args[0]} failed: ${first}`, { cause: err }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
  });
}

/** Runs git with `input` on its stdin (index-pack of an untrusted pack, say; a stream for a big one). */
export function gitWithInput(cwd: string, args: string[], input: Buffer | Readable): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, env: hostGitEnv(), maxBuffer: 16 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          const first = (stderr || err.message).trim().split('\n').slice(-1)[0] ?? '';
          reject(new GitError(`git ${args[0]} failed: ${first}`, { cause: err }));
          return;
        }
        resolve({ stdout, stderr });
      },
    );
    child.stdin?.on('error', () => undefined); // git may exit before reading it all
    if (Buffer.isBuffer(input)) child.stdin?.end(input);
    else if (child.stdin) {
      input.on('error', (err) => {
        child.kill();
        reject(new GitError(`could not read what git ${args[0]} was given: ${err.message}`, { cause: err }));
      });
      input.pipe(child.stdin);
    }
  });
}

/**
 * git's stdout as a stream, read as the reader takes it (a bundle of any size is never held
 * whole). It ends only once git exited 0; otherwise it fails with git's `fatal:` line (or its
 * last). A reader that destroys it ends git.
 */
export function gitOutput(cwd: string, args: string[]): Readable {
  const out = new PassThrough();
  const child = spawn('git', args, { cwd, env: hostGitEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    stderr = (stderr + d).slice(-4096);
  });
  child.stdout.pipe(out, { end: false });
  out.on('close', () => child.exitCode === null && child.kill());
  child.on('error', (err) =>
    out.destroy(new GitError(`git ${args[0]} failed: ${err.message}`, { cause: err })),
  );
  child.on('close', (code) => {
    if (code === 0) out.end();
    else {
      const lines = stderr.trim().split('\n');
      const why = lines.find((l) => /^(fatal|error):/.test(l)) ?? lines.at(-1) ?? `exit ${code}`;
      out.destroy(new GitError(`git ${args[0]} failed: ${stripControl(why)}`));
    }
  });
  return out;
}

/** Exit status instead of an error, for questions ("does this ref exist?"). */
export function gitStatus(cwd: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: hostGitEnv() }, (err) => {
      resolve(err ? ((err as { code?: number }).code ?? 1) : 0);
    });
  });
}

// Keep newline and tab; drop every other C0/C1 control character (terminal escapes included).
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
export function stripControl(text: string): string {
  return text.replace(CONTROL, '');
}

/**
 * What a command in a session said last on stderr, fit for a message: its last line, control
 * characters gone, at most `max` characters (the session chose every byte of it).
 */
export function lastWords(stderr: Buffer, max = 300): string {
  return (stripControl(stderr.toString('utf8')).trim().split('\n').at(-1) ?? '').slice(0, max);
}

/** A fetch that brings only the refs asked for: no tags, no submodules, no FETCH_HEAD. */
export const FETCH_ONLY_REFS = ['--quiet', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head'];
