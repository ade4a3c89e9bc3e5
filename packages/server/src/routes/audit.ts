import { API_PREFIX, TeamSchemas as S } from '@berth/api';
import type { AuditLog } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { requireAdmin } from '../auth/auth.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Routes that change a session name their action here; the audit trail records each call. */
    audit?: string;
  }
}

function actorOf(req: FastifyRequest): string {
  const p = req.principal;
  return p?.kind === 'user' ? `user:${p.user.username}` : p?.kind === 'local' ? 'local' : 'anonymous';
}

/** Records who did what to which session, and how it ended, after every audited route. */
export function registerAuditTrail(app: import('fastify').FastifyInstance, audit: AuditLog): void {
  app.addHook('onResponse', async (req, reply) => {
    const action = req.routeOptions.config?.audit;
    if (!action) return;
    const params = req.params as { name?: string } | undefined;
    const body = req.body as { name?: unknown } | undefined;
    const sessionName = params?.name ?? (typeof body?.name === 'string' ? body.name.slice(0, 128) : null);
    const code = reply.statusCode;
    await audit
      .append({
        at: new Date().toISOString(),
        actor: actorOf(req),
        action,
        sessionId: null,
        sessionName,
        outcome: code < 400 ? 'ok' : code < 500 ? 'refused' : 'failed',
        detail: `HTTP ${code}`,
      })
      .catch((err) => req.log.warn({ err }, 'could not write the audit trail'));
  });
}

export const auditRoutes: FastifyPluginAsyncTypebox<{ audit: AuditLog }> = async (app, { audit }) => {
  app.get(
    `${API_PREFIX}/audit`,
    {
      schema: {
        tags: ['audit'],
        summary: 'Who did what to which session (admin)',
        querystring: S.AuditQuery,
        response: { 200: S.AuditList },
      },
    },
    async (req) => {
      requireAdmin(req);
      const { limit, before, session } = req.query;
      return {
        entries: await audit.list({
          limit: limit ?? 100,
          ...(before !== undefined ? { before } : {}),
          ...(session !== undefined ? { sessionName: session } : {}),
        }),
      };
    },
  );
};
