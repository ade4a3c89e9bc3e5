import type { Core } from '@berth/core';
import type { FastifyBaseLogger } from 'fastify';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reads a dashboard polls (stats, health): they do not keep a session from idling. */
    idleNeutral?: boolean;
  }
}

/**
 * Records a call on a session as activity for its idle timeout. A missing session is the route's
 * business (it answers 404); a failure here is logged, never the request's.
 */
export async function noteActivity(core: Core, ref: string, log: FastifyBaseLogger): Promise<void> {
  try {
    const s = await core.service.get(ref);
    await core.ledger.noteActivity(s.id);
  } catch (err) {
    log.debug({ err }, 'activity not recorded');
  }
}
