import { spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthClient } from '@berth/api/node';
import { type BerthConfig, loadConfig } from '@berth/core/config';
import { readLogins } from './credentials-file.js';
import { CliError, EXIT } from './output.js';

export function config(): BerthConfig {
  return loadConfig(process.env);
}

export async function daemonAnswers(client: BerthClient): Promise<boolean> {
  try {
    await client.daemonInfo();
    return true;
  } catch {
    return false;
  }
}

/**
 * A remote server when BERTH_URL is set (token from BERTH_TOKEN or `berth login`); otherwise the
 * daemon at $BERTH_HOME, started in the background when none answers (and saying so).
 */
export async function connect(opts: { autostart?: boolean } = {}): Promise<BerthClient> {
  const url = process.env.BERTH_URL;
  if (url) {
    const token = process.env.BERTH_TOKEN || (await readLogins())[url]?.token;
    if (!token) {
      throw new CliError(
        `no credentials for ${url}`,
        EXIT.auth,
        `run \`berth login --url ${url}\` or set BERTH_TOKEN`,
      );
    }
    return new BerthClient({ url, token });
  }
  const cfg = config();
  const client = new BerthClient({ socketPath: cfg.socketPath });
  if (await daemonAnswers(client)) return client;
  if (opts.autostart === false) {
    throw new CliError(
      `no berth daemon answers at ${cfg.socketPath}`,
      EXIT.daemon,
      'start one with `berth serve`',
    );
  }
  mkdirSync(cfg.home, { recursive: true, mode: 0o700 });
  const logFile = join(cfg.home, 'daemon.log');
  const log = openSync(logFile, 'a');
  const bin = fileURLToPath(new URL('./bin.js', import.meta.url));
  const child = spawn(process.execPath, [bin, 'serve'], {
    detached: true,
    stdio: ['ignore', log, log],
    env: process.env,
  });
  child.unref();
  process.stderr.write(`berth: no daemon was running; started one (pid ${child.pid}, log ${logFile})\n`);
  let deadline = Date.now() + 20_000;
  let exited = false;
  while (Date.now() < deadline) {
    if (await daemonAnswers(client)) return client;
    if (child.exitCode !== null && !exited) {
      // It may have lost a race to a daemon another command started: give that one a moment.
      exited = true;
      deadline = Math.min(deadline, Date.now() + 3_000);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join('\n');
  throw new CliError(
    `the berth daemon did not start:\n${tail}`,
    EXIT.daemon,
    `read ${logFile} for the reason`,
  );
}
