import {
  type ColumnDataType,
  type ColumnDefinitionBuilder,
  type Expression,
  type Kysely,
  type Migration,
  type MigrationProvider,
  Migrator,
  sql,
} from 'kysely';
import type { StoreDialect } from './store.js';

type DataType = ColumnDataType | Expression<unknown>;

/**
 * The column types that differ between the two databases. SQLite's schema is the one these
 * migrations have always made (its `integer` is 64-bit, its `real` a double, its text compares
 * bytewise); PostgreSQL gets the types that hold the same values and sort the same way.
 */
interface ColumnTypes {
  /** A double. PostgreSQL's `real` is 32-bit. */
  double: DataType;
  /** A 64-bit integer (memory in bytes passes 2^31). pg returns int8 as a string: read with Number(). */
  int64: DataType;
  /** Text that is unique or sorted on: bytewise, whatever the database's locale. */
  key: DataType;
}

const COLUMN_TYPES: Record<StoreDialect, ColumnTypes> = {
  sqlite: { double: 'real', int64: 'integer', key: 'text' },
  postgres: { double: 'double precision', int64: 'bigint', key: sql`text collate "C"` },
};

/** Migrations live in code so the compiled package carries them; names sort in order. */
function migrationsFor(dialect: StoreDialect): Record<string, Migration> {
  const t = COLUMN_TYPES[dialect];
  return {
    '0001_sessions': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('sessions')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', t.key, (c) => c.notNull().unique())
          .addColumn('status', 'text', (c) => c.notNull())
          .addColumn('status_reason', 'text')
          .addColumn('repo', 'text', (c) => c.notNull())
          .addColumn('base_branch', 'text', (c) => c.notNull())
          .addColumn('base_commit', 'text', (c) => c.notNull())
          .addColumn('branch', 'text', (c) => c.notNull())
          .addColumn('image', 'text', (c) => c.notNull())
          .addColumn('container_id', 'text')
          .addColumn('workspace_path', 'text')
          .addColumn('cpus', t.double, (c) => c.notNull())
          .addColumn('memory_bytes', t.int64, (c) => c.notNull())
          .addColumn('pids', 'integer', (c) => c.notNull())
          .addColumn('env_json', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('user', 'text', (c) => c.notNull())
          .addColumn('created_at', t.key, (c) => c.notNull())
          .addColumn('updated_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('sessions_status').on('sessions').column('status').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('sessions').execute();
      },
    },
    '0002_accounts': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('users')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('username', t.key, (c) => c.notNull().unique())
          .addColumn('password_hash', 'text')
          .addColumn('role', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('tokens')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addColumn('kind', 'text', (c) => c.notNull())
          .addColumn('name', 'text', (c) => c.notNull())
          .addColumn('token_hash', 'text', (c) => c.notNull().unique())
          .addColumn('created_at', t.key, (c) => c.notNull())
          .addColumn('expires_at', 'text')
          .addColumn('last_used_at', 'text')
          .addColumn('revoked_at', 'text')
          .execute();
        await db.schema.createIndex('tokens_user').on('tokens').column('user_id').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('tokens').execute();
        await db.schema.dropTable('users').execute();
      },
    },
    '0003_teams_audit': {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable('teams')
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('name', t.key, (c) => c.notNull().unique())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .execute();
        await db.schema
          .createTable('team_members')
          .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
          .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
          .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
          .execute();
        // Owner null: the host's owner, through the unix socket.
        await db.schema.alterTable('sessions').addColumn('owner_id', 'text').execute();
        await db.schema.alterTable('sessions').addColumn('team_id', 'text').execute();
        await db.schema
          .alterTable('sessions')
          .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        await db.schema
          .createTable('audit')
          // Ids only grow, so `before` pages through the trail; PostgreSQL spells that an identity.
          .addColumn('id', 'integer', (c) =>
            dialect === 'sqlite'
              ? c.primaryKey().autoIncrement()
              : c.primaryKey().generatedByDefaultAsIdentity(),
          )
          .addColumn('at', 'text', (c) => c.notNull())
          .addColumn('actor', 'text', (c) => c.notNull())
          .addColumn('action', 'text', (c) => c.notNull())
          .addColumn('session_id', 'text')
          .addColumn('session_name', 'text')
          .addColumn('outcome', 'text', (c) => c.notNull())
          .addColumn('detail', 'text', (c) => c.notNull().defaultTo(''))
          .execute();
        await db.schema.createIndex('audit_at').on('audit').column('at').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('audit').execute();
        await db.schema.dropTable('team_members').execute();
        await db.schema.dropTable('teams').execute();
      },
    },
    '0004_agents_previews': {
      async up(db: Kysely<unknown>) {
        const columns: Array<[string, DataType, (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder]> = [
          ['kind', 'text', (c) => c.notNull().defaultTo('shell')],
          ['agent', 'text', (c) => c],
          ['remote', 'text', (c) => c],
          ['has_ssh_key', 'integer', (c) => c.notNull().defaultTo(0)],
          ['git_user_name', 'text', (c) => c.notNull().defaultTo('berth session')],
          ['git_user_email', 'text', (c) => c.notNull().defaultTo('session@sessions.berth.invalid')],
          ['runtime', 'text', (c) => c.notNull().defaultTo('runc')],
          ['idle_timeout_s', 'integer', (c) => c.notNull().defaultTo(0)],
          ['idle_action', 'text', (c) => c.notNull().defaultTo('pause')],
          ['last_activity_at', 'text', (c) => c],
          ['preview_json', 'text', (c) => c],
        ];
        for (const [name, type, build] of columns) {
          await db.schema.alterTable('sessions').addColumn(name, type, build).execute();
        }
        // A host port belongs to one session at most: the primary key is the guarantee.
        await db.schema
          .createTable('port_leases')
          .addColumn('port', 'integer', (c) => c.primaryKey())
          .addColumn('session_id', 'text', (c) => c.notNull().unique())
          .addColumn('leased_at', 'text', (c) => c.notNull())
          .execute();
        // Ciphertext only (AES-256-GCM, key under BERTH_HOME): SSH keys, API keys, credentials.
        await db.schema
          .createTable('secrets')
          .addColumn('scope', t.key, (c) => c.notNull())
          .addColumn('name', t.key, (c) => c.notNull())
          .addColumn('ciphertext', 'text', (c) => c.notNull())
          .addColumn('created_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('secrets_pk', ['scope', 'name'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('secrets').execute();
        await db.schema.dropTable('port_leases').execute();
      },
    },
    '0005_agent_status': {
      async up(db: Kysely<unknown>) {
        // The first line of the prompt, and what the agent is doing ({state, since, exitCode, source}).
        await db.schema.alterTable('sessions').addColumn('task', 'text').execute();
        await db.schema.alterTable('sessions').addColumn('agent_status_json', 'text').execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.alterTable('sessions').dropColumn('agent_status_json').execute();
        await db.schema.alterTable('sessions').dropColumn('task').execute();
      },
    },
    '0006_egress': {
      async up(db: Kysely<unknown>) {
        // {mode, allow}: what the session may reach outside itself; null for a session made
        // before egress was filtered (it stays on the shared network).
        await db.schema.alterTable('sessions').addColumn('egress_json', 'text').execute();
        // The egress proxy's decisions, one row per session, host, port and outcome, counted.
        await db.schema
          .createTable('egress_log')
          .addColumn('session_id', t.key, (c) => c.notNull())
          .addColumn('host', t.key, (c) => c.notNull())
          .addColumn('port', 'integer', (c) => c.notNull())
          .addColumn('allowed', 'integer', (c) => c.notNull())
          .addColumn('reason', 'text', (c) => c.notNull())
          .addColumn('count', 'integer', (c) => c.notNull())
          .addColumn('first_at', 'text', (c) => c.notNull())
          .addColumn('last_at', 'text', (c) => c.notNull())
          .addPrimaryKeyConstraint('egress_log_pk', ['session_id', 'host', 'port', 'allowed'])
          .execute();
      },
      async down(db: Kysely<unknown>) {
        await db.schema.dropTable('egress_log').execute();
        await db.schema.alterTable('sessions').dropColumn('egress_json').execute();
      },
    },
  };
}

export function migrationProvider(dialect: StoreDialect): MigrationProvider {
  return {
    async getMigrations() {
      return migrationsFor(dialect);
    },
  };
}

/**
 * Brings the schema up to date. On PostgreSQL the bookkeeping tables go in the connection's
 * current schema: kysely otherwise takes a `kysely_migration` in any schema for its own.
 */
export async function migrateToLatest<DB>(
  db: Kysely<DB>,
  dialect: StoreDialect,
  migrationTableSchema?: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: migrationProvider(dialect),
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(
      `the database could not be migrated${failed ? ` (at ${failed})` : ''}: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
}
