import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { KyselyStore, type Tables } from './kysely-store.js';
import { migrateToLatest } from './migrations.js';

/** The default store: one SQLite file under BERTH_HOME, zero setup. */
export class SqliteStore extends KyselyStore {
  private constructor(
    db: Kysely<Tables>,
    private readonly raw: Database.Database,
  ) {
    super(db, 'sqlite');
  }

  /** Opens (creating if needed) the database file in WAL mode and runs pending migrations. */
  static async open(file: string): Promise<SqliteStore> {
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = NORMAL');
    raw.pragma('busy_timeout = 5000');
    raw.pragma('foreign_keys = ON');
    const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: raw }) });
    try {
      await migrateToLatest(db, 'sqlite');
    } catch (err) {
      await db.destroy();
      throw err;
    }
    return new SqliteStore(db, raw);
  }

  integrityCheck(): string {
    return String(this.raw.pragma('integrity_check', { simple: true }));
  }
}
