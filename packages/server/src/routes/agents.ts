import { AgentSchemas as A, API_PREFIX } from '@berth/api';
import { type Core, findAgentProfile } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isAdmin, requireAdmin } from '../auth/auth.js';

const doc = (operationId: string, summary: string) => ({ tags: ['agents'], operationId, summary });

/**
 * Agent profiles and their credentials. Setting or removing credentials is for admins and the
 * host's owner (unix socket); values go in sealed and never come back out of any route.
 */
export const agentRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const creds = core.agents.credentials;

  app.get(
    `${API_PREFIX}/agents`,
    {
      schema: {
        ...doc('listAgents', 'Agent profiles, and which credentials each has set (never their values)'),
        response: { 200: A.AgentList },
      },
    },
    async (req) => {
      const catalogue = await core.agents.catalogue();
      const agents = [];
      for (const p of catalogue.profiles) {
        const configured = await creds.status(p.name);
        const modes = configured.keys.length > 0 ? await core.agents.keyModes(p) : {};
        agents.push({
          name: p.name,
          description: p.description,
          builtin: p.builtin,
          command: p.command,
          resume: p.resume,
          image: p.image,
          prompt: p.prompt,
          credentials: p.credentials,
          configured: {
            dir: configured.dir ? { ...configured.dir, mode: 'file' as const } : null,
            keys: configured.keys.map((k) => ({ ...k, mode: modes[k.name] ?? ('file' as const) })),
          },
        });
      }
      // The config file's path is a host path: admins only.
      const configFile = isAdmin(req.principal) ? { configFile: core.config.configFile } : {};
      return { agents, defaultAgent: catalogue.defaultAgent, ...configFile };
    },
  );

  app.put(
    `${API_PREFIX}/agents/:profile/credentials`,
    {
      config: { audit: 'agent.credentials.set' },
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        ...doc(
          'putAgentCredentials',
          "Set a profile's credential directory (tar, base64) and/or API keys (admin)",
        ),
        params: A.AgentRef,
        body: A.PutCredentialsRequest,
        response: { 204: Type.Null({ description: 'Stored, sealed' }) },
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      findAgentProfile(await core.agents.catalogue(), req.params.profile);
      await creds.put(req.params.profile, {
        ...(req.body.dir !== undefined ? { dir: Buffer.from(req.body.dir, 'base64') } : {}),
        ...(req.body.keys ? { keys: req.body.keys } : {}),
      });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    `${API_PREFIX}/agents/:profile/credentials`,
    {
      config: { audit: 'agent.credentials.delete' },
      schema: {
        ...doc('deleteAgentCredentials', "Remove a profile's credentials: all, or one by name (admin)"),
        params: A.AgentRef,
        querystring: A.DeleteCredentialsQuery,
        response: { 204: Type.Null({ description: 'Removed' }) },
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      await creds.delete(req.params.profile, req.query.name);
      return reply.code(204).send(null);
    },
  );
};
