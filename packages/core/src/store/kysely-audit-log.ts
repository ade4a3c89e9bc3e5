import type { Generated, Kysely } from 'kysely';
import type { AuditEntry, AuditLog } from '../audit/audit-log.js';

export interface AuditTables {
  audit: {
    id: Generated<number>;
    at: string;
    actor: string;
    action: string;
    session_id: string | null;
    session_name: string | null;
    outcome: string;
    detail: string;
  };
}

/** The audit trail in the sessions' database (SQLite or PostgreSQL); ids only grow. */
export class KyselyAuditLog implements AuditLog {
  constructor(private readonly db: Kysely<AuditTables>) {}

  async append(e: Omit<AuditEntry, 'id'>): Promise<void> {
    await this.db
      .insertInto('audit')
      .values({
        at: e.at,
        actor: e.actor,
        action: e.action,
        session_id: e.sessionId,
        session_name: e.sessionName,
        outcome: e.outcome,
        detail: e.detail,
      })
      .execute();
  }

  async list(opts: { limit: number; before?: number; sessionName?: string }): Promise<AuditEntry[]> {
    let q = this.db.selectFrom('audit').selectAll().orderBy('id', 'desc').limit(opts.limit);
    if (opts.before !== undefined) q = q.where('id', '<', opts.before);
    if (opts.sessionName !== undefined) q = q.where('session_name', '=', opts.sessionName);
    const rows = await q.execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: r.at,
      actor: r.actor,
      action: r.action,
      sessionId: r.session_id,
      sessionName: r.session_name,
      outcome: r.outcome as AuditEntry['outcome'],
      detail: r.detail,
    }));
  }
}
