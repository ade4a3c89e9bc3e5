import type { BerthConfig } from '../config/config.js';
import { type Logger, silentLogger } from '../logger.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

/** PostgreSQL when the configuration names one (BERTH_DATABASE_URL), else SQLite under BERTH_HOME. */
export function openStore(
  config: Pick<BerthConfig, 'databaseFile' | 'databaseUrl'>,
  logger: Logger = silentLogger,
): Promise<Store> {
  return config.databaseUrl
    ? PostgresStore.open(config.databaseUrl, { logger })
    : SqliteStore.open(config.databaseFile);
}
