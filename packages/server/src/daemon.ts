import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTH_VERSION, BerthClient, type DaemonInfo } from '@berth/api';
import { type AccountStore, type BerthConfig, type Logger, openCore, parseUsername } from '@berth/core';
import pino from 'pino';
import { buildServer } from './app.js';
import { hashPassword } from './auth/credentials.js';
import { createMetrics } from './metrics.js';
import { closeUnixListener, listenOnUnixSocket } from './unix-listener.js';

export function pidFile(config: BerthConfig): string {
  return join(config.home, 'berth.pid');
}

/**
 * The first admin comes from the host, never from the network: `berth user add --admin` over the
 * unix socket, or BERTH_ADMIN_USERNAME + BERTH_ADMIN_PASSWORD on a start with no users yet.
 */
async function bootstrapAdmin(accounts: AccountStore, env: NodeJS.ProcessEnv, logger: Logger): Promise<void> {
  const username = env.BERTH_ADMIN_USERNAME;
  const password = env.BERTH_ADMIN_PASSWORD;
  if (!username || !password || (await accounts.countUsers()) > 0) return;
  await accounts.insertUser({
    id: randomUUID(),
    username: parseUsername(username),
    role: 'admin',
    passwordHash: await hashPassword(password),
    createdAt: new Date().toISOString(),
  });
  logger.info({ username }, 'created the first admin from BERTH_ADMIN_USERNAME');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed daemon nobody has reaped yet (a zombie) still answers kill(0): it is not running.
  // Without /proc (not Linux) kill(0) is all there is to go on.
  try {
    return !/^\d+ \(.*\) Z /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return !existsSync('/proc/self');
  }
}

async function takePidFile(config: BerthConfig): Promise<void> {
  const file = pidFile(config);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, `${process.pid}\n`, { mode: 0o600, flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number((await readFile(file, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
        throw new Error(`a berth daemon already runs for ${config.home} (pid ${owner})`);
      }
      await rm(file, { force: true }); // stale: its daemon is gone
    }
  }
  throw new Error(`could not take ${file}; another daemon is starting`);
}

/**
 * `berth serve`: open the core, reconcile with the engine, listen on the unix socket (its mode is
 * the auth) and optionally TCP, and drain on SIGTERM/SIGINT.
 */
export async function runDaemon(config: BerthConfig, opts: { logLevel?: string } = {}): Promise<void> {
  const logger = pino({
    level: opts.logLevel ?? process.env.BERTH_LOG_LEVEL ?? 'info',
    redact: {
      paths: ['*.env', '*.password', '*.token', '*.sshKey', '*.keys', '*.dir', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
  // One daemon per BERTH_HOME, settled before anything reconciles (a second daemon would undo the
  // first one's in-flight creates): the pid file is taken exclusively; a dead owner's is stale.
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  await takePidFile(config);
  const running = await new BerthClient({ socketPath: config.socketPath }).daemonInfo().catch(() => null);
  if (running) throw new Error(`a berth daemon already runs for ${config.home} (pid ${running.pid})`);
  // Made before the core so its engine calls are timed from the first one.
  const metrics = createMetrics({ processMetrics: true });
  const core = await openCore(config, logger, { observeEngine: metrics.observeEngine });
  const startedAt = new Date().toISOString();
  const daemon = (): DaemonInfo => ({
    pid: process.pid,
    version: BERTH_VERSION,
    socket: config.socketPath,
    home: config.home,
    startedAt,
    tcp: config.tcp ? `http://${config.tcp.host}:${config.tcp.port}` : null,
  });
  const app = await buildServer({
    core,
    daemon,
    publicHosts: config.publicHosts,
    corsOrigins: config.corsOrigins,
    metrics,
    logger: logger.child({ component: 'http' }, { level: process.env.BERTH_HTTP_LOG_LEVEL ?? 'warn' }),
  });
  await bootstrapAdmin(core.store.accounts, process.env, logger);
  await core.startWatching();

  // The unix socket gets its own listener whose connections are marked local: its file mode
  // (0600 in a 0700 directory) is the auth. TCP, when configured, is Fastify's own listener.
  await chmod(config.home, 0o700);
  const unix = await listenOnUnixSocket(app, config.socketPath);
  if (config.tcp) await app.listen({ host: config.tcp.host, port: config.tcp.port });
  logger.info({ socket: config.socketPath, tcp: config.tcp, pid: process.pid }, 'berth daemon listening');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'draining and shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await Promise.all([closeUnixListener(unix), app.close()]);
      await core.close();
    } finally {
      await rm(pidFile(config), { force: true });
      await rm(config.socketPath, { force: true });
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
