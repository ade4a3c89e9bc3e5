import { createServer } from 'node:net';
import type { Clock } from '../clock/clock.js';
import { LimitReached } from '../errors/berth-error.js';
import type { PortAllocator, PortLease } from './port-allocator.js';
import type { PortLeaseStore } from './port-lease-store.js';

export interface PortRange {
  from: number;
  to: number;
}

/** True when nothing on the host listens on 127.0.0.1:port (a lease is useless otherwise). */
export function hostPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/**
 * Leases host ports from a range over the database: the table's keys make two sessions sharing a
 * port impossible (across daemons on one PostgreSQL too), and leases outlive daemon restarts.
 */
export class StorePortAllocator implements PortAllocator {
  constructor(
    private readonly store: PortLeaseStore,
    private readonly range: PortRange,
    private readonly clock: Clock,
    private readonly isFree: (port: number) => Promise<boolean> = hostPortFree,
  ) {}

  async lease(sessionId: string): Promise<PortLease> {
    for (;;) {
      const leases = await this.store.listLeases();
      const mine = leases.find((l) => l.sessionId === sessionId);
      if (mine) return mine;
      const taken = new Set(leases.map((l) => l.port));
      let port: number | null = null;
      for (let p = this.range.from; p <= this.range.to; p++) {
        if (!taken.has(p) && (await this.isFree(p))) {
          port = p;
          break;
        }
      }
      if (port === null) {
        throw new LimitReached(
          `no free host port left in ${this.range.from}-${this.range.to} for a preview`,
          { hint: 'stop a session with a preview, or widen BERTH_PORT_RANGE' },
        );
      }
      if (await this.store.insertLease({ sessionId, port }, this.clock.now().toISOString())) {
        return { sessionId, port };
      }
      // Another lease took the port (or this session) meanwhile: look again.
    }
  }

  release(sessionId: string): Promise<void> {
    return this.store.deleteLease(sessionId);
  }

  leases(): Promise<PortLease[]> {
    return this.store.listLeases();
  }
}
