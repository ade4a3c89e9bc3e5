import { type Logger, silentLogger } from '../logger.js';
import type { EgressLogRow, EgressLogStore } from '../store/egress-log-store.js';
import type { EgressEvent } from './egress-proxy.js';

/** One line of `berth egress`: a host and port, the outcome, how often and when. */
export type EgressDecisionSummary = Omit<EgressLogRow, 'sessionId'>;

export interface EgressReport {
  /** The most recently seen first, at most REPORT_LIMIT. */
  decisions: EgressDecisionSummary[];
}

/**
 * Where decisions go once a session has asked for more distinct hosts and ports than berth keeps
 * apart: counted under this name (port 0), allowed and refused each their own line.
 */
export const EGRESS_OVERFLOW_HOST = '(other hosts)';
export const EGRESS_OVERFLOW_REASON = 'more distinct hosts and ports than berth keeps apart for one session';

export const REPORT_LIMIT = 500;
const MAX_HOST = 255;
const MAX_REASON = 300;

export interface EgressLogOptions {
  store: EgressLogStore;
  logger?: Logger;
  /** How long a decision waits in memory before it is written (default 1000 ms). */
  flushMs?: number;
  /** Distinct host, port and outcome keys one session may have waiting (default 256). */
  maxPendingPerSession?: number;
  /** Distinct keys one session may write while this daemon runs (default 2000). */
  maxKeysPerSession?: number;
  /** Sessions whose written keys are remembered for that cap (default 4096, oldest forgotten). */
  maxSessions?: number;
}

const keyOf = (host: string, port: number, allowed: boolean) => `${host}\0${port}\0${allowed ? 1 : 0}`;

/**
 * The egress proxy's decisions, counted in memory by session, host, port and outcome and written
 * to the store at most about once a second. A session that asks for ever new hosts cannot grow
 * memory or the table without bound: past the caps its decisions are counted under
 * EGRESS_OVERFLOW_HOST.
 */
export class EgressLog {
  private pending = new Map<string, Map<string, EgressLogRow>>();
  /** Per session, the keys it has written (or has waiting) in this run. */
  private readonly written = new Map<string, Set<string>>();
  private timer: NodeJS.Timeout | null = null;
  private tail: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly logger: Logger;
  private readonly flushMs: number;
  private readonly maxPending: number;
  private readonly maxKeys: number;
  private readonly maxSessions: number;

  constructor(private readonly opts: EgressLogOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.flushMs = opts.flushMs ?? 1000;
    this.maxPending = opts.maxPendingPerSession ?? 256;
    this.maxKeys = opts.maxKeysPerSession ?? 2000;
    this.maxSessions = opts.maxSessions ?? 4096;
  }

  /** Counts one decision; cheap and synchronous (the proxy calls it on every connection). */
  record(e: EgressEvent): void {
    if (this.closed) return;
    this.absorb({
      sessionId: e.sessionId,
      host: e.host.slice(0, MAX_HOST),
      port: e.port,
      allowed: e.allowed,
      reason: e.reason.slice(0, MAX_REASON),
      count: 1,
      firstAt: e.at,
      lastAt: e.at,
    });
    this.schedule();
  }

  /** A session's decisions, what is waiting written first. */
  async report(sessionId: string): Promise<EgressReport> {
    await this.flush();
    const rows = await this.opts.store.list(sessionId, { limit: REPORT_LIMIT });
    return {
      decisions: rows.map((r) => ({
        host: r.host,
        port: r.port,
        allowed: r.allowed,
        reason: r.reason,
        count: r.count,
        firstAt: r.firstAt,
        lastAt: r.lastAt,
      })),
    };
  }

  /** Writes what is waiting; one write at a time, in order. A failed write is kept for the next. */
  flush(): Promise<void> {
    const run = this.tail.then(() => this.write());
    this.tail = run;
    return run;
  }

  /** Writes what is waiting; later decisions are not counted. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.flushMs);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const rows = [...batch.values()].flatMap((m) => [...m.values()]);
    try {
      await this.opts.store.add(rows);
    } catch (err) {
      this.logger.warn({ err, rows: rows.length }, 'could not write egress decisions; retrying');
      if (this.closed) return;
      for (const r of rows) this.absorb(r);
      this.schedule();
    }
  }

  /** Adds a row to what is waiting, under its own key while the session's caps allow. */
  private absorb(row: EgressLogRow): void {
    let waiting = this.pending.get(row.sessionId);
    if (!waiting) {
      waiting = new Map();
      this.pending.set(row.sessionId, waiting);
    }
    let key = keyOf(row.host, row.port, row.allowed);
    let hit = waiting.get(key);
    if (!hit && !this.admit(row.sessionId, key, waiting.size)) {
      row = { ...row, host: EGRESS_OVERFLOW_HOST, port: 0, reason: EGRESS_OVERFLOW_REASON };
      key = keyOf(row.host, row.port, row.allowed);
      hit = waiting.get(key);
    }
    if (!hit) {
      waiting.set(key, { ...row });
      return;
    }
    hit.count += row.count;
    if (row.firstAt < hit.firstAt) hit.firstAt = row.firstAt;
    if (row.lastAt >= hit.lastAt) {
      hit.lastAt = row.lastAt;
      hit.reason = row.reason;
    }
  }

  /** Whether a key new to what is waiting gets its own row (the overflow rows always do). */
  private admit(sessionId: string, key: string, waitingKeys: number): boolean {
    if (key.startsWith(`${EGRESS_OVERFLOW_HOST}\0`)) return true;
    if (waitingKeys >= this.maxPending) return false;
    let keys = this.written.get(sessionId);
    if (keys?.has(key)) return true;
    if (!keys) {
      if (this.written.size >= this.maxSessions) {
        const oldest = this.written.keys().next().value;
        if (oldest !== undefined) this.written.delete(oldest);
      }
      keys = new Set();
      this.written.set(sessionId, keys);
    }
    if (keys.size >= this.maxKeys) return false;
    keys.add(key);
    return true;
  }
}
