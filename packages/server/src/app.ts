import type { DaemonInfo } from '@berth/api';
import type { Core } from '@berth/core';
import { TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerProblemHandler } from './problems.js';
import { healthRoutes } from './routes/health.js';
import { sessionRoutes } from './routes/sessions.js';
import { shellRoutes } from './routes/shell.js';

export interface ServerDeps {
  core: Core;
  daemon: () => DaemonInfo;
  /** A pino instance; none means silent (tests). */
  logger?: FastifyBaseLogger;
}

/** The Fastify app without listening: `berth serve` listens, tests use `inject()`. */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: 256 },
    ajv: { customOptions: { allErrors: false } },
  }).setValidatorCompiler(TypeBoxValidatorCompiler);
  registerProblemHandler(app);
  await app.register(websocket, { options: { maxPayload: 1024 * 1024 } });
  // Table of contents:
  await app.register(healthRoutes, { core: deps.core, daemon: deps.daemon });
  await app.register(sessionRoutes, { core: deps.core });
  await app.register(shellRoutes, { core: deps.core });
  return app;
}
