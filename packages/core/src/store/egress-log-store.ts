/** One aggregated decision of the egress proxy: a session, a host and port, and the outcome. */
export interface EgressLogRow {
  sessionId: string;
  host: string;
  port: number;
  allowed: boolean;
  /** The latest reason given for this outcome. */
  reason: string;
  count: number;
  firstAt: string;
  lastAt: string;
}

/** The egress proxy's decisions, counted per session, host, port and outcome (table egress_log). */
export interface EgressLogStore {
  /**
   * Adds to the counts: a row seen before gets its count added, the later last_at and that
   * time's reason; its first_at stays. Rows of a session that is no longer stored are dropped.
   */
  add(rows: readonly EgressLogRow[]): Promise<void>;
  /** A session's decisions, the most recently seen first. */
  list(sessionId: string, opts?: { limit?: number }): Promise<EgressLogRow[]>;
}
