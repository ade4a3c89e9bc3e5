// The berth side's daemon: `berth serve` with the run's own BERTH_HOME, reached over its unix
// socket as a user's CLI reaches it (and on a loopback TCP port for Chromium and the previews).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BerthClient } from '@berth/api/node';
import { IMAGE } from './raw-engine.mjs';
import { freePort, log, root, stopChild } from './util.mjs';

const cli = join(root, 'packages/cli/bin/berth.js');

/** create_agent: the stand-in agent (docker/test-agent) as a profile in the daemon's config file. */
export const AGENT_IMAGE = 'berth-test/agent:1';
export const AGENT_PROFILE_NAME = 'stand-in';
export const AGENT_PROFILE = { command: ['berth-stand-in-agent'], image: AGENT_IMAGE };

/**
 * The daemon's environment: this one without the settings that would make it another berth's
 * (its port, network, session uid), plus the run's home and image. The raw side loads berth's
 * configuration from the same environment, so both use the same defaults.
 */
export function daemonEnv(home, tcpPort) {
  const env = { ...process.env };
  for (const k of [
    'BERTH_PORT',
    'BERTH_HOST',
    'BERTH_NETWORK',
    'BERTH_SESSION_UID',
    'BERTH_SESSION_GID',
    'BERTH_CONFIG',
  ]) {
    delete env[k];
  }
  return Object.assign(env, {
    BERTH_HOME: home,
    BERTH_IMAGE: IMAGE,
    BERTH_MAX_RUNNING: '1000',
    BERTH_LOG_LEVEL: 'warn',
    // TCP on loopback too, for the dashboard in Chromium and the preview proxy; the other rows use the unix socket.
    ...(tcpPort ? { BERTH_PORT: String(tcpPort) } : {}),
  });
}

/**
 * Starts the daemon and waits until it answers; its stop (and a look at what it logged) is
 * deferred to the run's cleanup. Resolves with { client, port, socketPath, pid }.
 */
export async function startDaemon(ctx) {
  const { home } = ctx;
  const port = await freePort();
  await mkdir(home, { recursive: true, mode: 0o700 });
  // Agent profiles: the stand-in agent only (create_agent).
  await writeFile(
    join(home, 'config.json'),
    JSON.stringify({ agents: { [AGENT_PROFILE_NAME]: AGENT_PROFILE } }),
  );
  const logFile = join(ctx.tmpRoot, 'daemon.log');
  ctx.daemonLog = logFile;
  const fd = openSync(logFile, 'a');
  let child;
  try {
    child = spawn(process.execPath, [cli, 'serve', '--log-level', 'warn'], {
      cwd: root,
      env: daemonEnv(home, port),
      stdio: ['ignore', fd, fd],
      // Its own process group: a Ctrl-C in the terminal reaches the bench, which stops it by pid.
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  ctx.defer(async () => {
    if (child.exitCode === null && child.signalCode === null) log(`stopping the daemon (pid ${child.pid})`);
    await stopChild(child, 12_000);
    reportDaemonWarnings(logFile);
  });
  const socketPath = join(home, 'berth.sock');
  const client = new BerthClient({ socketPath });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const ok = await client.health().then(
      (h) => h.status === 'ok',
      () => false,
    );
    if (ok) {
      log(`daemon up (pid ${child.pid})`);
      return { client, port, socketPath, pid: child.pid };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the daemon did not come up:\n${daemonLogTail(logFile)}`);
}

/** The daemon logs at warn level: anything it logged is worth a look. */
function reportDaemonWarnings(logFile) {
  if (!existsSync(logFile)) return;
  const lines = readFileSync(logFile, 'utf8').trim().split('\n').filter(Boolean);
  if (lines.length === 0) return;
  const msgs = lines.map((l) => {
    try {
      const j = JSON.parse(l);
      return `${j.msg}${j.err?.message ? `: ${j.err.message}` : ''}`;
    } catch {
      return l;
    }
  });
  log(
    `the daemon logged ${lines.length} line(s) at warn or above, e.g.:\n  ${msgs.slice(0, 3).join('\n  ')}`,
  );
}

export function daemonLogTail(logFile) {
  try {
    return readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no daemon log)';
  }
}
