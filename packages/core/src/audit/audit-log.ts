/** Who did what to which session, when, and how it ended. */
export interface AuditEntry {
  id: number;
  at: string;
  /** `user:<name>`, or `local` for the host's owner on the unix socket. */
  actor: string;
  action: string;
  sessionId: string | null;
  sessionName: string | null;
  outcome: 'ok' | 'refused' | 'failed';
  detail: string;
}

export interface AuditLog {
  append(entry: Omit<AuditEntry, 'id'>): Promise<void>;
  /** Newest first. */
  list(opts: { limit: number; before?: number; sessionName?: string }): Promise<AuditEntry[]>;
}
