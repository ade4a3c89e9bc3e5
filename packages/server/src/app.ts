import type { DaemonInfo } from '@berth/api';
import type { Core } from '@berth/core';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { allowedHostNames, registerAuth } from './auth/auth.js';
import { loadServerSecret } from './auth/credentials.js';
import { LiveSockets } from './auth/live-sockets.js';
import { SessionAccess } from './auth/session-access.js';
import { SocketRecheck } from './auth/socket-recheck.js';
import { registerTransportSecurity, trustProxyOption } from './auth/transport.js';
import { mcpRoutes } from './mcp/http.js';
import { createMetrics, type Metrics, registerMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { PreviewProxy } from './previews/preview-proxy.js';
import { previewRoutes } from './previews/preview-routes.js';
import { PreviewGrants } from './previews/preview-tickets.js';
import { problem, registerProblemHandler } from './problems.js';
import { agentPromptRoutes } from './routes/agent-prompts.js';
import { agentRoutes } from './routes/agents.js';
import { auditRoutes, registerAuditTrail } from './routes/audit.js';
import { authRoutes } from './routes/auth.js';
import { registerDashboard } from './routes/dashboard.js';
import { eventRoutes } from './routes/events.js';
import { healthRoutes } from './routes/health.js';
import { metaRoutes } from './routes/meta.js';
import { resourceRoutes } from './routes/resources.js';
import { sessionRoutes } from './routes/sessions.js';
import { teamRoutes } from './routes/teams.js';
import { terminalRoutes } from './routes/terminals.js';
import { hideEnvFromNonOwners } from './session-env.js';

export interface ServerDeps {
  core: Core;
  daemon: () => DaemonInfo;
  /** Host names the server answers to on TCP besides loopback (DNS-rebinding guard). */
  publicHosts?: string[];
  /** Origins other sites may call the API from (CORS); none by default. */
  corsOrigins?: string[];
  /** A pino instance; none means silent (tests). */
  logger?: FastifyBaseLogger;
  /** Made before the core so it can observe engine calls (`openCore`'s `observeEngine`); none: a fresh one. */
  metrics?: Metrics;
  /** Internal, for tests: how often open terminal and events WebSockets are re-authorised (default 30 s). */
  socketRecheckMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** WebSockets by the token that opened them: revoking it closes them. */
    liveSockets: LiveSockets;
    /** Every route registered, as `METHOD /url`, for the tests that sweep all routes. */
    berthRoutes: string[];
  }
}

/** The Fastify app without listening: `berth serve` listens, tests use `inject()`. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    // X-Forwarded-* (scheme, client address, host) count only from the proxies BERTH_TRUST_PROXY
    // lists: from anyone else they are whatever the client chose to send.
    trustProxy: trustProxyOption(deps.core.config.trustProxy),
    routerOptions: { maxParamLength: 256 },
    ajv: { customOptions: { allErrors: false } },
    // A malformed or over-long URL is refused by the router itself: answer it as a problem too.
    frameworkErrors: (err, _req, reply) => {
      const status = typeof err.statusCode === 'number' ? err.statusCode : 400;
      const raw = reply as unknown as {
        code(c: number): typeof raw;
        type(t: string): typeof raw;
        send(b: unknown): void;
      };
      raw
        .code(status)
        .type('application/problem+json')
        .send(problem('invalid_input', err.message, undefined, status));
    },
  }).setValidatorCompiler(TypeBoxValidatorCompiler);
  const routes: string[] = [];
  app.decorate('berthRoutes', routes);
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) if (m !== 'HEAD') routes.push(`${m} ${r.url}`);
  });
  registerProblemHandler(app);
  registerTransportSecurity(app);
  // Before any route: the OpenAPI document and the request metrics see the routes added after them.
  await registerOpenApi(app);
  registerMetrics(app, { core: deps.core, metrics: deps.metrics ?? createMetrics() });
  await app.register(cookie);
  if (deps.corsOrigins && deps.corsOrigins.length > 0) {
    // Off unless configured: an allow-list, never a wildcard, and no credentials for others.
    await app.register(cors, { origin: deps.corsOrigins, credentials: false });
  }
  await app.register(websocket, {
    options: { maxPayload: 1024 * 1024 },
    // On shutdown every WebSocket hears "going away" (1001), so clients know to reconnect.
    preClose(this: FastifyInstance, done: () => void) {
      for (const client of this.websocketServer.clients) client.close(1001, 'server shutting down');
      this.websocketServer.close(() => done());
    },
  });
  const accounts = deps.core.store.accounts;
  const secret = await loadServerSecret(deps.core.config.home);
  const sockets = new LiveSockets();
  app.decorate('liveSockets', sockets);
  registerAuth(app, { accounts, secret, publicHosts: deps.publicHosts ?? [] });
  registerAuditTrail(app, deps.core.store.audit);
  // Before any route: a session's env values reach its owner only, from every route (F19).
  app.addHook('preSerialization', hideEnvFromNonOwners);
  const access = new SessionAccess(deps.core, accounts);
  // Table of contents:
  await app.register(healthRoutes, { core: deps.core, daemon: deps.daemon });
  await app.register(metaRoutes, { core: deps.core, authModes: ['unix-socket', 'bearer-token', 'cookie'] });
  await app.register(authRoutes, { accounts, secret, sockets });
  await app.register(teamRoutes, { accounts });
  await app.register(resourceRoutes, { core: deps.core });
  await app.register(auditRoutes, { audit: deps.core.store.audit });
  await app.register(sessionRoutes, { core: deps.core, access });
  const recheck = new SocketRecheck(deps.core, accounts, access, deps.socketRecheckMs);
  await app.register(terminalRoutes, { core: deps.core, access, recheck });
  await app.register(agentPromptRoutes, { core: deps.core, access });
  await app.register(agentRoutes, { core: deps.core });
  await app.register(eventRoutes, { core: deps.core, access, recheck });
  await app.register(mcpRoutes, { corsOrigins: deps.corsOrigins ?? [] });
  const grants = new PreviewGrants(secret);
  await app.register(previewRoutes, { core: deps.core, access, grants });
  // In front of everything: `<name>.preview.<host>` requests and upgrades go to the session's dev
  // server, on an origin of their own, and never reach the API.
  const previewProxy = new PreviewProxy(deps.core, grants, access, allowedHostNames(deps.publicHosts ?? []));
  app.addHook('onReady', async () => previewProxy.install(app.server));
  // Last: the built web dashboard answers the GETs no route above claims (packages/web/dist).
  await registerDashboard(app);
  return app;
}
