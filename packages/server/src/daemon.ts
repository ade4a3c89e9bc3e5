import { chmod, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTH_VERSION, type DaemonInfo } from '@berth/api';
import { type BerthConfig, openCore } from '@berth/core';
import pino from 'pino';
import { buildServer } from './app.js';

export function pidFile(config: BerthConfig): string {
  return join(config.home, 'berth.pid');
}

/**
 * `berth serve`: open the core, reconcile with the engine, listen on the unix socket (its mode is
 * the auth) and optionally TCP, and drain on SIGTERM/SIGINT.
 */
export async function runDaemon(config: BerthConfig, opts: { logLevel?: string } = {}): Promise<void> {
  const logger = pino({
    level: opts.logLevel ?? process.env.BERTH_LOG_LEVEL ?? 'info',
    redact: {
      paths: ['*.env', '*.password', '*.token', '*.sshKey', 'req.headers.authorization'],
      censor: '[redacted]',
    },
  });
  const core = await openCore(config, logger);
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
    logger: logger.child({ component: 'http' }, { level: process.env.BERTH_HTTP_LOG_LEVEL ?? 'warn' }),
  });
  await core.startWatching();

  await rm(config.socketPath, { force: true });
  await chmod(config.home, 0o700);
  await app.listen({ path: config.socketPath });
  await chmod(config.socketPath, 0o600);
  if (config.tcp) {
    // Auth for TCP arrives with the team server; until then TCP is loopback-only.
    if (!['127.0.0.1', '::1', 'localhost'].includes(config.tcp.host)) {
      throw new Error(`BERTH_HOST=${config.tcp.host}: only loopback is allowed until TCP auth exists`);
    }
    await app.listen({ host: config.tcp.host, port: config.tcp.port });
  }
  await writeFile(pidFile(config), `${process.pid}\n`, { mode: 0o600 });
  logger.info({ socket: config.socketPath, pid: process.pid }, 'berth daemon listening');

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'draining and shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    try {
      await app.close();
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
