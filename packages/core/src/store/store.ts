import type { Session, SessionStatus } from '../session/session.js';

export type SessionPatch = Partial<Omit<Session, 'id' | 'createdAt'>>;

/** Where sessions live between daemon restarts. SQLite today; PostgreSQL slots in beside it. */
export interface SessionStore {
  /** Throws Conflict when the name is taken. */
  insert(session: Session): Promise<void>;
  update(id: string, patch: SessionPatch): Promise<Session>;
  get(id: string): Promise<Session | null>;
  getByName(name: string): Promise<Session | null>;
  list(filter?: { statuses?: readonly SessionStatus[] }): Promise<Session[]>;
  count(statuses: readonly SessionStatus[], scope?: { ownerId?: string; teamId?: string }): Promise<number>;
  delete(id: string): Promise<void>;
  close(): Promise<void>;
}
