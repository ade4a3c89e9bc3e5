import type { AccountStore } from '../accounts/account-store.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { PortLeaseStore } from '../ports/port-lease-store.js';
import type { SecretStore } from '../secrets/secret-store.js';
import type { Session, SessionStatus } from '../session/session.js';
import type { EgressLogStore } from './egress-log-store.js';

export type SessionPatch = Partial<Omit<Session, 'id' | 'createdAt'>>;

/** Where sessions live between daemon restarts: SQLite, or PostgreSQL for a team's server. */
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

export type StoreDialect = 'sqlite' | 'postgres';

/** One database holding the sessions, the accounts and the audit trail: what openCore opens. */
export interface Store extends SessionStore, PortLeaseStore, SecretStore {
  readonly dialect: StoreDialect;
  /** Users, tokens and teams. */
  readonly accounts: AccountStore;
  readonly audit: AuditLog;
  /** The egress proxy's decisions, counted; a session's go when its row does. */
  readonly egressLog: EgressLogStore;
}
