import { Kysely, PostgresDialect, sql } from 'kysely';
import { Pool } from 'pg';
import { BerthError } from '../errors/berth-error.js';
import { type Logger, silentLogger } from '../logger.js';
import { KyselyStore, type Tables } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';

export interface PostgresStoreOptions {
  logger?: Logger;
  /** Connections kept open at most (pg's pool). */
  maxConnections?: number;
}

/** `postgres://berth:secret@db/berth` → `postgres://berth:***@db/berth`, for messages and logs. */
export function redactDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(a database URL that does not parse)';
  }
}

/** The store of a server shared by a team: PostgreSQL, the same tables and queries as SQLite. */
export class PostgresStore extends KyselyStore {
  private constructor(db: Kysely<Tables>) {
    super(db, 'postgres');
  }

  /** Connects (tables go in the connection's current schema) and runs pending migrations. */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const logger = opts.logger ?? silentLogger;
    const pool = new Pool({
      connectionString: url,
      max: opts.maxConnections ?? 10,
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection that dies (the server restarted) must not take the daemon with it.
    pool.on('error', (err) => logger.warn({ err }, 'an idle PostgreSQL connection failed'));
    const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
    try {
      let schema: string | null;
      try {
        const r = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
        schema = r.rows[0]?.schema ?? null;
      } catch (err) {
        throw new BerthError(
          'internal',
          `could not reach PostgreSQL at ${redactDatabaseUrl(url)}: ${String((err as Error).message ?? err)}`,
          {
            hint: 'check that the server runs and that BERTH_DATABASE_URL names it, its user, password and database',
            cause: err,
          },
        );
      }
      if (!schema) {
        throw new BerthError(
          'internal',
          `PostgreSQL at ${redactDatabaseUrl(url)} has no schema to put berth's tables in`,
          {
            hint: 'create one and name it in the search_path, or use the default `public` schema',
          },
        );
      }
      await migrateToLatest(db, 'postgres', schema);
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return new PostgresStore(db);
  }
}
