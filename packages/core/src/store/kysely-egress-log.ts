import type { Kysely } from 'kysely';
import type { EgressLogRow, EgressLogStore } from './egress-log-store.js';

export interface EgressLogTables {
  egress_log: {
    session_id: string;
    host: string;
    port: number;
    /** 0 or 1. */
    allowed: number;
    reason: string;
    count: number;
    first_at: string;
    last_at: string;
  };
  sessions: { id: string };
}

/** PostgreSQL's `integer`: a count stops here rather than fail every later flush. */
const MAX_COUNT = 2_147_483_647;
/** Rows per statement: 8 parameters each, well under SQLite's and PostgreSQL's limits. */
const CHUNK = 100;

const keyOf = (r: EgressLogRow) => `${r.sessionId}\0${r.host}\0${r.port}\0${r.allowed ? 1 : 0}`;

/** Rows with the same key folded into one: one statement may not update a row twice. */
function merged(rows: readonly EgressLogRow[]): EgressLogRow[] {
  const byKey = new Map<string, EgressLogRow>();
  for (const r of rows) {
    const hit = byKey.get(keyOf(r));
    if (!hit) {
      byKey.set(keyOf(r), { ...r });
      continue;
    }
    hit.count = Math.min(MAX_COUNT, hit.count + r.count);
    if (r.firstAt < hit.firstAt) hit.firstAt = r.firstAt;
    if (r.lastAt >= hit.lastAt) {
      hit.lastAt = r.lastAt;
      hit.reason = r.reason;
    }
  }
  return [...byKey.values()];
}

/** The egress decision log in the sessions' database (SQLite or PostgreSQL). */
export class KyselyEgressLog implements EgressLogStore {
  constructor(private readonly db: Kysely<EgressLogTables>) {}

  async add(rows: readonly EgressLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    // A session removed while its last decisions waited for a flush leaves no rows behind.
    const ids = [...new Set(rows.map((r) => r.sessionId))];
    const live = new Set(
      (await this.db.selectFrom('sessions').select('id').where('id', 'in', ids).execute()).map((r) => r.id),
    );
    const kept = merged(rows.filter((r) => live.has(r.sessionId)));
    for (let i = 0; i < kept.length; i += CHUNK) {
      await this.db
        .insertInto('egress_log')
        .values(
          kept.slice(i, i + CHUNK).map((r) => ({
            session_id: r.sessionId,
            host: r.host,
            port: r.port,
            allowed: r.allowed ? 1 : 0,
            reason: r.reason,
            count: Math.min(MAX_COUNT, Math.max(0, Math.floor(r.count))),
            first_at: r.firstAt,
            last_at: r.lastAt,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['session_id', 'host', 'port', 'allowed']).doUpdateSet((eb) => {
            const later = eb('excluded.last_at', '>=', eb.ref('egress_log.last_at'));
            return {
              count: eb
                .case()
                .when(eb('egress_log.count', '>', eb(eb.val(MAX_COUNT), '-', eb.ref('excluded.count'))))
                .then(eb.val(MAX_COUNT))
                .else(eb('egress_log.count', '+', eb.ref('excluded.count')))
                .end(),
              last_at: eb
                .case()
                .when(later)
                .then(eb.ref('excluded.last_at'))
                .else(eb.ref('egress_log.last_at'))
                .end(),
              reason: eb
                .case()
                .when(later)
                .then(eb.ref('excluded.reason'))
                .else(eb.ref('egress_log.reason'))
                .end(),
            };
          }),
        )
        .execute();
    }
  }

  async list(sessionId: string, opts: { limit?: number } = {}): Promise<EgressLogRow[]> {
    let q = this.db
      .selectFrom('egress_log')
      .selectAll()
      .where('session_id', '=', sessionId)
      .orderBy('last_at', 'desc')
      .orderBy('host')
      .orderBy('port')
      .orderBy('allowed');
    if (opts.limit !== undefined) q = q.limit(opts.limit);
    const rows = await q.execute();
    return rows.map((r) => ({
      sessionId: r.session_id,
      host: r.host,
      port: Number(r.port),
      allowed: Number(r.allowed) === 1,
      reason: r.reason,
      count: Number(r.count),
      firstAt: r.first_at,
      lastAt: r.last_at,
    }));
  }

  /** A removed session's rows go with it. */
  async deleteSession(sessionId: string): Promise<void> {
    await this.db.deleteFrom('egress_log').where('session_id', '=', sessionId).execute();
  }
}
