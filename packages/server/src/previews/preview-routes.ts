import { API_PREFIX, PreviewOptions, PreviewTicket, Session, SessionRef } from '@berth/api';
import { type Core, IllegalTransition, InvalidInput } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { isLocal } from '../auth/auth.js';
import type { SessionAccess } from '../auth/session-access.js';
import { hideHostPathsFromMembers } from '../host-paths.js';
import { PREVIEW_AUTH_PATH, previewOrigin } from './preview-proxy.js';
import type { PreviewGrants } from './preview-tickets.js';

const doc = (operationId: string, summary: string) => ({ tags: ['previews'], operationId, summary });

/** The browser-facing base of this server: the Host it was reached by, or the configured TCP address. */
function serverBase(
  core: Core,
  req: FastifyRequest,
): { protocol: string; host: string; port: number | null } {
  const loopback = (h: string) =>
    h === '127.0.0.1' || h === '::1' || h === '0.0.0.0' || h === '::' ? 'localhost' : h;
  if (!isLocal(req) && req.headers.host) {
    const u = new URL(`${req.protocol}://${req.headers.host}`);
    return {
      protocol: u.protocol,
      host: loopback(u.hostname.toLowerCase()),
      port: u.port ? Number(u.port) : null,
    };
  }
  const tcp = core.config.tcp;
  if (!tcp) {
    throw new InvalidInput('previews through the berth server need it on TCP', {
      hint: 'start the daemon with BERTH_PORT set (e.g. BERTH_PORT=7420), or open the preview on its host port',
    });
  }
  return { protocol: 'http:', host: core.config.publicHosts[0] ?? loopback(tcp.host), port: tcp.port };
}

/** Start a session's preview; hand out links to it through the server's preview proxy. */
export const previewRoutes: FastifyPluginAsyncTypebox<{
  core: Core;
  access: SessionAccess;
  grants: PreviewGrants;
}> = async (app, { core, access, grants }) => {
  const base = `${API_PREFIX}/sessions/:name/preview`;
  // The session a preview start answers with names host paths: admins only, as everywhere.
  app.addHook('preSerialization', hideHostPathsFromMembers);

  app.post(
    base,
    {
      config: { audit: 'session.preview' },
      schema: {
        ...doc('startPreview', "Start or restart a running session's preview (dev server)"),
        params: SessionRef,
        body: PreviewOptions,
        response: { 200: Session },
      },
    },
    async (req) => {
      await access.assertVisible(req.principal, req.params.name);
      return core.service.startPreview(req.params.name, req.body ?? {});
    },
  );

  app.post(
    `${base}/ticket`,
    {
      schema: {
        ...doc('previewTicket', "A short-lived link to a session's preview through the server"),
        params: SessionRef,
        response: { 200: PreviewTicket },
      },
    },
    async (req) => {
      const s = await access.visible(req.principal, req.params.name);
      if (!s.preview || s.preview.hostPort === null) {
        throw new IllegalTransition(`session '${s.name}' runs no preview`, {
          hint: `start one with \`berth preview ${s.name} --restart\``,
        });
      }
      const origin = previewOrigin(s.name, serverBase(core, req));
      const who = req.principal?.kind === 'user' ? req.principal.tokenId : 'local';
      const ticket = grants.issue('ticket', { sessionId: s.id, who });
      return {
        url: `${origin}${PREVIEW_AUTH_PATH}?ticket=${encodeURIComponent(ticket.value)}`,
        origin: `${origin}/`,
        expiresAt: ticket.expiresAt.toISOString(),
      };
    },
  );
};
