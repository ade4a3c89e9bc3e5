import { randomUUID } from 'node:crypto';
import { chmod, mkdir, rm, stat } from 'node:fs/promises';
import type { Server } from 'node:http';
import { BERTH_VERSION, type DaemonInfo } from '@berth/api';
import { BerthClient } from '@berth/api/node';
import {
  type AccountStore,
  type BerthConfig,
  type Core,
  InvalidInput,
  type Logger,
  openCore,
  parseUsername,
} from '@berth/core';
import pino from 'pino';
import { buildServer } from './app.js';
import { hashPassword } from './auth/credentials.js';
import { createMetrics } from './metrics.js';
import { releasePidFile, takePidFile } from './pid-file.js';
import { closeUnixListener, listenOnUnixSocket } from './unix-listener.js';

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

async function makePrivate(home: string): Promise<void> {
  try {
    await chmod(home, 0o700);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
    const owner = await stat(home);
    const uid = process.getuid?.() ?? -1;
    throw new InvalidInput(`BERTH_HOME ${home} belongs to uid ${owner.uid}, and berth runs as uid ${uid}`, {
      hint: `run berth as its owner (in berth's container: --user ${owner.uid}:${owner.gid}), or \`chown ${uid} ${home}\` on the host`,
      cause: err,
    });
  }
}

interface Started {
  core: Core;
  app: Awaited<ReturnType<typeof buildServer>>;
  unix: Server;
}

/** Opens the core, reconciles and listens; each finished step leaves its undoing in `undo`. */
async function start(
  config: BerthConfig,
  logger: pino.Logger,
  undo: (() => Promise<unknown>)[],
): Promise<Started> {
  const running = await daemonAnswering(config);
  if (running) throw new Error(`a berth daemon already runs for ${config.home} (pid ${running.pid})`);
  // Made before the core so its engine calls are timed from the first one.
  const metrics = createMetrics({ processMetrics: true });
  const core = await openCore(config, logger, { observeEngine: metrics.observeEngine });
  undo.push(() => core.close());
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
  undo.push(() => app.close());
  await bootstrapAdmin(core.store.accounts, process.env, logger);
  await core.startWatching();

  // The unix socket gets its own listener whose connections are marked local: its file mode
  // (0600 in a 0700 directory) is the auth. TCP, when configured, is Fastify's own listener.
  const unix = await listenOnUnixSocket(app, config.socketPath);
  undo.push(async () => {
    await closeUnixListener(unix, 0);
    await rm(config.socketPath, { force: true });
  });
  if (config.tcp) await app.listen({ host: config.tcp.host, port: config.tcp.port });
  return { core, app, unix };
}

const daemonAnswering = (config: BerthConfig) =>
  new BerthClient({ socketPath: config.socketPath }).daemonInfo().catch(() => null);

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
  // The home is made private first (the socket's mode is its auth): only its owner may, so a home
  // that is someone else's (root's, mounted into berth's container) stops here, saying so.
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  await makePrivate(config.home);
  // One daemon per BERTH_HOME, settled before anything reconciles (a second daemon would undo the
  // first one's in-flight creates): the pid file is taken exclusively (one naming a process that
  // is gone, or is another process now, is stale), and no daemon may answer on the socket (one in
  // another pid namespace, e.g. a container sharing this BERTH_HOME, has a pid file but no process
  // here).
  const before = await daemonAnswering(config);
  if (before) throw new Error(`a berth daemon already runs for ${config.home} (pid ${before.pid})`);
  await takePidFile(config.home);
  // A start that fails part-way undoes what it did, in reverse, so the process exits instead of
  // lingering on open handles without answering.
  const undo: (() => Promise<unknown>)[] = [() => releasePidFile(config.home)];
  let started: Started;
  try {
    started = await start(config, logger, undo);
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw err;
  }
  const { core, app, unix } = started;
  logger.info({ socket: config.socketPath, tcp: config.tcp, pid: process.pid }, 'berth daemon listening');
  // Settings to look at again (a proxy password kept from sessions, …), once: names, never values.
  for (const warning of config.startWarnings) logger.warn(warning);

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
      await releasePidFile(config.home);
      await rm(config.socketPath, { force: true });
      clearTimeout(force);
      process.exit(0);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
