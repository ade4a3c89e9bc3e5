/** A host port leased to a session (previews publish on these). */
export interface PortLease {
  sessionId: string;
  port: number;
}

/**
 * Hands out host ports from a configured range with no two sessions ever sharing one, and
 * keeps leases across daemon restarts. The preview work implements it over the store.
 */
export interface PortAllocator {
  lease(sessionId: string): Promise<PortLease>;
  release(sessionId: string): Promise<void>;
  leases(): Promise<PortLease[]>;
}
