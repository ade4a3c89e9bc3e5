import type { FastifyInstance, FastifyRequest } from 'fastify';
import { isLocal } from './auth.js';

/** A year: browsers keep using https for the host that long after an https answer. */
export const HSTS = 'max-age=31536000';

/**
 * Whether the browser reached us over https: TLS of our own, or a trusted proxy's
 * X-Forwarded-Proto (BERTH_TRUST_PROXY; Fastify ignores the header from anyone else).
 */
export function isHttps(req: FastifyRequest): boolean {
  return !isLocal(req) && req.protocol === 'https';
}

/** Fastify's `trustProxy` for BERTH_TRUST_PROXY: the listed proxies, or none at all. */
export function trustProxyOption(trusted: readonly string[] | undefined): string[] | false {
  return trusted && trusted.length > 0 ? [...trusted] : false;
}

/** Every https answer tells the browser to stay on https (HSTS), so no later visit goes in clear. */
export function registerTransportSecurity(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    if (isHttps(req)) reply.header('strict-transport-security', HSTS);
    return payload;
  });
}
