import { API_PREFIX, BERTH_VERSION, Capabilities, ServerConfig } from '@berth/api';
import { type Core, defaultLimitsFor } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export interface MetaOptions {
  core: Core;
  /** How clients may authenticate; the auth plugin widens it when it adds tokens or cookies. */
  authModes?: readonly string[];
}

export const DEFAULT_AUTH_MODES: readonly string[] = ['unix-socket'];

/** What a client may know about this server before it does anything: its settings and abilities. */
export const metaRoutes: FastifyPluginAsyncTypebox<MetaOptions> = async (app, opts) => {
  const { config, runtime } = opts.core;
  const authModes = [...(opts.authModes ?? DEFAULT_AUTH_MODES)];
  const limits = () => ({ ...config.defaultLimits });

  app.get(
    `${API_PREFIX}/config`,
    {
      schema: {
        tags: ['meta'],
        summary: 'The server settings a client may rely on',
        operationId: 'getConfig',
        response: { 200: ServerConfig },
      },
    },
    async () => ({
      version: BERTH_VERSION,
      maxRunningSessions: config.maxRunningSessions,
      defaultImage: config.defaultImage,
      defaultLimits: limits(),
      sessionNetwork: config.sessionNetwork,
      tcp: config.tcp ? `http://${config.tcp.host}:${config.tcp.port}` : null,
    }),
  );

  app.get(
    `${API_PREFIX}/capabilities`,
    {
      schema: {
        tags: ['meta'],
        summary: 'What this server can do: engine and isolation, limits, auth modes',
        operationId: 'getCapabilities',
        response: { 200: Capabilities },
      },
    },
    async () => {
      // An engine that does not answer is a fact to report here, not an error.
      const engine = await runtime.info().catch(() => null);
      const gvisor = engine?.runtimes.includes(config.isolation.gvisorRuntime) ?? false;
      return {
        version: BERTH_VERSION,
        apiPrefix: API_PREFIX,
        runtime: {
          kind: 'docker' as const,
          available: engine !== null,
          engineVersion: engine?.serverVersion || null,
          runtimes: engine?.runtimes ?? [],
          gvisor: gvisor,
          cgroupVersion: engine?.cgroupVersion || null,
        },
        limits: {
          maxRunningSessions: config.maxRunningSessions,
          defaultLimits: limits(),
          profiles: {
            shell: defaultLimitsFor('shell', config),
            agent: defaultLimitsFor('agent', config),
            preview: defaultLimitsFor('preview', config),
          },
        },
        gvisor: { available: gvisor, runtime: config.isolation.gvisorRuntime },
        auth: { modes: authModes },
      };
    },
  );
};
