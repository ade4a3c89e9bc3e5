import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { BUSYBOX_IMAGE, removeContainersOf, tempDir } from './fixtures.js';

export const BIN = fileURLToPath(new URL('../../../packages/cli/bin/berth.js', import.meta.url));

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Berth {
  home: string;
  env: NodeJS.ProcessEnv;
  run(...args: string[]): Promise<Run>;
  /** Like run, with `input` on the command's stdin. */
  runWithInput(input: string, ...args: string[]): Promise<Run>;
  /** Like run, from another working directory (where a relative `--repo` is meant). */
  runIn(cwd: string, ...args: string[]): Promise<Run>;
  json<T = unknown>(...args: string[]): Promise<T>;
  daemonPid(): number | null;
}

/**
 * A CLI with its own BERTH_HOME; the daemon it auto-starts is stopped after the test. `node` runs
 * it (and so the daemon it starts) under another Node binary than the tests' own.
 */
export function berthCli(env: NodeJS.ProcessEnv = {}, opts: { node?: string } = {}): Berth {
  const home = tempDir('berth-cli-');
  const fullEnv = { ...process.env, BERTH_HOME: home, BERTH_IMAGE: BUSYBOX_IMAGE, NO_COLOR: '1', ...env };
  const runFrom = (cwd: string | undefined, input: string | null, args: string[]) =>
    new Promise<Run>((resolve) => {
      const child = execFile(
        opts.node ?? process.execPath,
        [BIN, ...args],
        { env: fullEnv, maxBuffer: 64 * 1024 * 1024, ...(cwd ? { cwd } : {}) },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
      child.stdin?.end(input ?? '');
    });
  const run = (...args: string[]) => runFrom(undefined, null, args);
  const daemonPid = () => {
    try {
      // The pid is the file's first line (the process's start follows it).
      return Number(readFileSync(join(home, 'berth.pid'), 'utf8').split('\n')[0]) || null;
    } catch {
      return null;
    }
  };
  onTestFinished(async () => {
    const pid = daemonPid();
    if (pid) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await removeContainersOf(home);
  });
  return {
    home,
    env: fullEnv,
    run,
    runWithInput: (input: string, ...args: string[]) => runFrom(undefined, input, args),
    runIn: (cwd: string, ...args: string[]) => runFrom(cwd, null, args),
    daemonPid,
    async json<T>(...args: string[]) {
      const r = await run(...args, '--json');
      if (r.code !== 0) throw new Error(`berth ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as T;
    },
  };
}
