import { isAgentState } from '@berth/api/agent-status';
import type { ColumnType, Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { AccountStore } from '../accounts/account-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import { Conflict, NotFound } from '../errors/berth-error.js';
import type { PortLease } from '../ports/port-allocator.js';
import type { PortLeaseStore } from '../ports/port-lease-store.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type {
  PreviewState,
  Session,
  SessionEgress,
  SessionKind,
  SessionName,
  SessionRuntime,
  SessionStatus,
} from '../session/session.js';
import { type AccountTables, KyselyAccountStore } from './kysely-account-store.js';
import { type AuditTables, KyselyAuditLog } from './kysely-audit-log.js';
import { type EgressLogTables, KyselyEgressLog } from './kysely-egress-log.js';
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
  kind: string;
  agent: string | null;
  remote: string | null;
  has_ssh_key: number;
  git_user_name: string;
  git_user_email: string;
  runtime: string;
  idle_timeout_s: number;
  idle_action: string;
  last_activity_at: string | null;
  preview_json: string | null;
  task: string | null;
  agent_status_json: string | null;
  egress_json: string | null;
  created_at: string;
  updated_at: string;
}

export interface Tables extends AccountTables, AuditTables {
  sessions: SessionsTable;
  port_leases: { port: number; session_id: string; leased_at: string };
  secrets: { scope: string; name: string; ciphertext: string; created_at: string };
}

/** A row refused for any key (primary or unique): both drivers, both kinds. */
function isKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return isUniqueViolation(err) || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
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
    kind: r.kind as SessionKind,
    agent: r.agent,
    remote: r.remote,
    hasSshKey: Number(r.has_ssh_key) === 1,
    gitUser: { name: r.git_user_name, email: r.git_user_email },
    runtime: r.runtime as SessionRuntime,
    idle: { timeoutSeconds: Number(r.idle_timeout_s), action: r.idle_action === 'stop' ? 'stop' : 'pause' },
    lastActivityAt: r.last_activity_at ?? r.updated_at,
    preview: r.preview_json ? (JSON.parse(r.preview_json) as PreviewState) : null,
    task: r.task ?? null,
    ...agentStatusOf(r.agent_status_json),
    egress: r.egress_json ? (JSON.parse(r.egress_json) as SessionEgress) : null,
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
  if (s.kind !== undefined) row.kind = s.kind;
  if (s.agent !== undefined) row.agent = s.agent;
  if (s.remote !== undefined) row.remote = s.remote;
  if (s.hasSshKey !== undefined) row.has_ssh_key = s.hasSshKey ? 1 : 0;
  if (s.gitUser !== undefined) {
    row.git_user_name = s.gitUser.name;
    row.git_user_email = s.gitUser.email;
  }
  if (s.runtime !== undefined) row.runtime = s.runtime;
  if (s.idle !== undefined) {
    row.idle_timeout_s = s.idle.timeoutSeconds;
    row.idle_action = s.idle.action;
  }
  if (s.lastActivityAt !== undefined) row.last_activity_at = s.lastActivityAt;
  if (s.preview !== undefined) row.preview_json = s.preview ? JSON.stringify(s.preview) : null;
  if (s.task !== undefined) row.task = s.task;
  if (s.egress !== undefined) row.egress_json = s.egress ? JSON.stringify(s.egress) : null;
  if (s.agentStatus !== undefined) {
    row.agent_status_json =
      s.agentStatus === null
        ? null
        : JSON.stringify({
            state: s.agentStatus,
            since: s.agentStatusSince ?? null,
            exitCode: s.agentExitCode ?? null,
            source: s.agentStatusSource ?? 'signals',
          });
  }
  if (s.updatedAt !== undefined) row.updated_at = s.updatedAt;
  return row;
}

type AgentStatusFields = Pick<
  Session,
  'agentStatus' | 'agentStatusSince' | 'agentExitCode' | 'agentStatusSource'
>;

/** The agent-status column, one JSON object, as the session's four fields. */
function agentStatusOf(json: string | null): AgentStatusFields {
  const none: AgentStatusFields = {
    agentStatus: null,
    agentStatusSince: null,
    agentExitCode: null,
    agentStatusSource: null,
  };
  if (!json) return none;
  const v = JSON.parse(json) as { state?: unknown; since?: unknown; exitCode?: unknown; source?: unknown };
  if (!isAgentState(v.state)) return none;
  return {
    agentStatus: v.state,
    agentStatusSince: typeof v.since === 'string' ? v.since : null,
    agentExitCode: typeof v.exitCode === 'number' ? v.exitCode : null,
    agentStatusSource: v.source === 'guess' ? 'guess' : 'signals',
  };
}

/**
 * Every query berth makes, written once against kysely; SqliteStore and PostgresStore only open
 * the connection and migrate. Counts and bigints come back from pg as strings, hence Number().
 */
export abstract class KyselyStore implements Store, PortLeaseStore, SecretStore {
  readonly accounts: AccountStore;
  readonly audit: AuditLog;
  readonly egressLog: KyselyEgressLog;

  protected constructor(
    protected readonly db: Kysely<Tables>,
    readonly dialect: StoreDialect,
  ) {
    this.accounts = new KyselyAccountStore(db as unknown as Kysely<AccountTables>);
    this.audit = new KyselyAuditLog(db as unknown as Kysely<AuditTables>);
    this.egressLog = new KyselyEgressLog(db as unknown as Kysely<EgressLogTables>);
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
    // After the session row: a flush that checked for the session before it went leaves none.
    await this.egressLog.deleteSession(id);
  }

  async listLeases(): Promise<PortLease[]> {
    const rows = await this.db
      .selectFrom('port_leases')
      .select(['port', 'session_id'])
      .orderBy('port')
      .execute();
    return rows.map((r) => ({ port: Number(r.port), sessionId: r.session_id }));
  }

  async insertLease(lease: PortLease, at: string): Promise<boolean> {
    try {
      await this.db
        .insertInto('port_leases')
        .values({ port: lease.port, session_id: lease.sessionId, leased_at: at })
        .execute();
      return true;
    } catch (err) {
      if (isKeyViolation(err)) return false;
      throw err;
    }
  }

  async deleteLease(sessionId: string): Promise<void> {
    await this.db.deleteFrom('port_leases').where('session_id', '=', sessionId).execute();
  }

  async putSecret(scope: string, name: string, ciphertext: string, at: string): Promise<void> {
    await this.db
      .insertInto('secrets')
      .values({ scope, name, ciphertext, created_at: at })
      .onConflict((oc) => oc.columns(['scope', 'name']).doUpdateSet({ ciphertext, created_at: at }))
      .execute();
  }

  async getSecret(scope: string, name: string): Promise<string | null> {
    const r = await this.db
      .selectFrom('secrets')
      .select('ciphertext')
      .where('scope', '=', scope)
      .where('name', '=', name)
      .executeTakeFirst();
    return r?.ciphertext ?? null;
  }

  async listSecrets(scope: string): Promise<Array<{ name: string; createdAt: string }>> {
    const rows = await this.db
      .selectFrom('secrets')
      .select(['name', 'created_at'])
      .where('scope', '=', scope)
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ name: r.name, createdAt: r.created_at }));
  }

  async deleteSecrets(scope: string, name?: string): Promise<void> {
    let q = this.db.deleteFrom('secrets').where('scope', '=', scope);
    if (name !== undefined) q = q.where('name', '=', name);
    await q.execute();
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
