import { API_PREFIX, BERTH_VERSION, DaemonInfo, Health } from '@berth/api';
import type { Core } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isAdmin } from '../auth/auth.js';

export interface HealthOptions {
  core: Core;
  daemon: () => DaemonInfo;
}

const meta = (operationId: string, summary: string) => ({ tags: ['meta'], operationId, summary });
const healthSchema = {
  ...meta('getHealth', 'Engine and store health'),
  response: { 200: Health, 503: Health },
};
const daemonSchema = {
  ...meta('getDaemon', 'The running daemon: pid, socket, start time'),
  response: { 200: DaemonInfo },
};

export const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, { core, daemon }) => {
  app.get('/health', { schema: healthSchema }, async (_req, reply) => {
    const engine = await core.runtime.ping().then(
      () => true,
      () => false,
    );
    const store = await core.store.count(['running']).then(
      () => true,
      () => false,
    );
    const ok = engine && store;
    reply.code(ok ? 200 : 503);
    return { status: ok ? 'ok' : 'degraded', engine, store, version: BERTH_VERSION } as const;
  });

  app.get(`${API_PREFIX}/daemon`, { schema: daemonSchema }, async (req) => {
    const info = daemon();
    if (isAdmin(req.principal)) return info;
    // Where the daemon's home and socket are is for admins: a member gets the rest.
    const { home: _home, socket: _socket, ...rest } = info;
    return rest;
  });
};
