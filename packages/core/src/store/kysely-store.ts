import type { ColumnType, Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { AccountStore } from '../accounts/account-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { Conflict, NotFound } from '../errors/berth-error.js';
import type { Session, SessionName, SessionStatus } from '../session/session.js';
import { type AccountTables, KyselyAccountStore } from './kysely-account-store.js';
import { type AuditTables, KyselyAuditLog } from './kysely-audit-log.js';
import type { SessionPatch, Store, StoreDialect } from './store.js';
import { isUniqueViolation } from './unique-violation.js';

interface SessionsTable {
  id: string;
  name: string;
  status: string;
  status_reason: string | null;
  repo: string;
  base_branch: string;
  base_commit: string;
  branch: string;
  image: string;
  container_id: string | null;
  workspace_path: string | null;
  cpus: number;
  /** PostgreSQL's bigint comes back from pg as a string. */
  memory_bytes: ColumnType<number | string, number, number>;
  pids: number;
  env_json: string;
  user: string;
  owner_id: string | null;
  team_id: string | null;
  description: string;
  created_at: string;
  updated_at: string;
}

export interface Tables extends AccountTables, AuditTables {
  sessions: SessionsTable;
}

function toSession(r: Selectable<SessionsTable>): Session {
  return {
    id: r.id,
    name: r.name as SessionName,
    status: r.status as SessionStatus,
    statusReason: r.status_reason,
    repo: r.repo,
    baseBranch: r.base_branch,
    baseCommit: r.base_commit,
    branch: r.branch,
    image: r.image,
    containerId: r.container_id,
    workspacePath: r.workspace_path,
    limits: { cpus: Number(r.cpus), memoryBytes: Number(r.memory_bytes), pids: Number(r.pids) },
    env: JSON.parse(r.env_json) as Record<string, string>,
    user: r.user,
    ownerId: r.owner_id,
    teamId: r.team_id,
    description: r.description,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function toRow(s: SessionPatch): Updateable<SessionsTable> {
  const row: Updateable<SessionsTable> = {};
  if (s.name !== undefined) row.name = s.name;
  if (s.status !== undefined) row.status = s.status;
  if (s.statusReason !== undefined) row.status_reason = s.statusReason;
  if (s.repo !== undefined) row.repo = s.repo;
  if (s.baseBranch !== undefined) row.base_branch = s.baseBranch;
  if (s.baseCommit !== undefined) row.base_commit = s.baseCommit;
  if (s.branch !== undefined) row.branch = s.branch;
  if (s.image !== undefined) row.image = s.image;
  if (s.containerId !== undefined) row.container_id = s.containerId;
  if (s.workspacePath !== undefined) row.workspace_path = s.workspacePath;
  if (s.limits !== undefined) {
    row.cpus = s.limits.cpus;
    row.memory_bytes = s.limits.memoryBytes;
    row.pids = s.limits.pids;
  }
  if (s.env !== undefined) row.env_json = JSON.stringify(s.env);
  if (s.user !== undefined) row.user = s.user;
  if (s.ownerId !== undefined) row.owner_id = s.ownerId;
  if (s.teamId !== undefined) row.team_id = s.teamId;
  if (s.description !== undefined) row.description = s.description;
  if (s.updatedAt !== undefined) row.updated_at = s.updatedAt;
  return row;
}

/**
 * Every query berth makes, written once against kysely; SqliteStore and PostgresStore only open
 * the connection and migrate. Counts and bigints come back from pg as strings, hence Number().
 */
export abstract class KyselyStore implements Store {
  readonly accounts: AccountStore;
  readonly audit: AuditLog;

  protected constructor(
    protected readonly db: Kysely<Tables>,
    readonly dialect: StoreDialect,
  ) {
    this.accounts = new KyselyAccountStore(db as unknown as Kysely<AccountTables>);
    this.audit = new KyselyAuditLog(db as unknown as Kysely<AuditTables>);
  }

  async insert(session: Session): Promise<void> {
    try {
      await this.db
        .insertInto('sessions')
        .values({
          ...(toRow(session) as Insertable<SessionsTable>),
          id: session.id,
          created_at: session.createdAt,
          updated_at: session.updatedAt,
        })
        .execute();
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new Conflict(`a session named '${session.name}' already exists`, {
          hint: `pick another name, or remove the old one with \`berth rm ${session.name}\``,
          cause: err,
        });
      }
      throw err;
    }
  }

  async update(id: string, patch: SessionPatch): Promise<Session> {
    const row = toRow(patch);
    // One round trip: the updated row comes back with the update (SQLite 3.35+, PostgreSQL).
    const r =
      Object.keys(row).length > 0
        ? await this.db
            .updateTable('sessions')
            .set(row)
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirst()
        : await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    if (!r) throw new NotFound(`session ${id} does not exist`);
    return toSession(r);
  }

  async get(id: string): Promise<Session | null> {
    const r = await this.db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
    return r ? toSession(r) : null;
  }

  async getByName(name: string): Promise<Session | null> {
    const r = await this.db.selectFrom('sessions').selectAll().where('name', '=', name).executeTakeFirst();
    return r ? toSession(r) : null;
  }

  async list(filter: { statuses?: readonly SessionStatus[] } = {}): Promise<Session[]> {
    let q = this.db.selectFrom('sessions').selectAll();
    if (filter.statuses && filter.statuses.length > 0) q = q.where('status', 'in', [...filter.statuses]);
    const rows = await q.orderBy('created_at').orderBy('name').execute();
    return rows.map(toSession);
  }

  async count(
    statuses: readonly SessionStatus[],
    scope: { ownerId?: string; teamId?: string } = {},
  ): Promise<number> {
    // `in ()` is an error on PostgreSQL.
    if (statuses.length === 0) return 0;
    let q = this.db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where('status', 'in', [...statuses]);
    if (scope.ownerId) q = q.where('owner_id', '=', scope.ownerId);
    if (scope.teamId) q = q.where('team_id', '=', scope.teamId);
    const r = await q.executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom('sessions').where('id', '=', id).execute();
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
