import type { PortLease } from './port-allocator.js';

/** The leases' table: one row per port, one port per session. */
export interface PortLeaseStore {
  listLeases(): Promise<PortLease[]>;
  /** False when the port or the session already has a lease (someone else won the race). */
  insertLease(lease: PortLease, at: string): Promise<boolean>;
  deleteLease(sessionId: string): Promise<void>;
}
