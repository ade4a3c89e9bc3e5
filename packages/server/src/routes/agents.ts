import { AgentSchemas as A, API_PREFIX } from '@berth/api';
import {
  type AgentProfile,
  type Core,
  type CredentialOwner,
  findAgentProfile,
  HOST_OWNER,
} from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isAdmin, type Principal } from '../auth/auth.js';
import { SessionAccess } from '../auth/session-access.js';

const doc = (operationId: string, summary: string) => ({ tags: ['agents'], operationId, summary });

/**
 * Agent profiles and their credentials. Credentials belong to an owner (security review F12):
 * the host's owner (unix socket) sets the host's, a user their own, and with `?team=NAME` a
 * member of that team (or an admin) the team's. A session gets its team's, else its owner's,
 * never anyone else's. Values go in sealed and never come back out of any route.
 */
export const agentRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const creds = core.agents.credentials;
  const access = new SessionAccess(core, core.store.accounts);

  /** Whose credentials the caller means: the team's (a member's or an admin's), else their own. */
  async function ownerFor(p: Principal | null, team: string | undefined): Promise<CredentialOwner> {
    const { ownerId, teamId } = await access.ownership(p, team);
    if (teamId) return { kind: 'team', id: teamId };
    return ownerId ? { kind: 'user', id: ownerId } : HOST_OWNER;
  }

  async function configured(p: AgentProfile, owner: CredentialOwner) {
    const status = await creds.status(p.name, owner);
    const modes = status.keys.length > 0 ? await core.agents.keyModes(p, owner) : {};
    return {
      dir: status.dir ? { ...status.dir, mode: 'file' as const } : null,
      keys: status.keys.map((k) => ({ ...k, mode: modes[k.name] ?? ('file' as const) })),
    };
  }

  app.get(
    `${API_PREFIX}/agents`,
    {
      schema: {
        ...doc(
          'listAgents',
          "Agent profiles, and which credentials each has set (never their values): the caller's own, and a team's with ?team",
        ),
        querystring: A.CredentialsOwnerQuery,
        response: { 200: A.AgentList },
      },
    },
    async (req) => {
      const own = await ownerFor(req.principal, undefined);
      const team = req.query.team === undefined ? null : await ownerFor(req.principal, req.query.team);
      const catalogue = await core.agents.catalogue();
      const agents = [];
      for (const p of catalogue.profiles) {
        agents.push({
          name: p.name,
          description: p.description,
          builtin: p.builtin,
          command: p.command,
          resume: p.resume,
          image: p.image,
          prompt: p.prompt,
          credentials: p.credentials,
          configured: await configured(p, own),
          owner: own.kind === 'host' ? ('host' as const) : ('user' as const),
          ...(team ? { team: { name: req.query.team!, configured: await configured(p, team) } } : {}),
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
          "Set a profile's credential directory (tar, base64) and/or API keys: the caller's own, or a team's with ?team",
        ),
        params: A.AgentRef,
        querystring: A.CredentialsOwnerQuery,
        body: A.PutCredentialsRequest,
        response: { 204: Type.Null({ description: 'Stored, sealed' }) },
      },
    },
    async (req, reply) => {
      const owner = await ownerFor(req.principal, req.query.team);
      findAgentProfile(await core.agents.catalogue(), req.params.profile);
      await creds.put(
        req.params.profile,
        {
          ...(req.body.dir !== undefined ? { dir: Buffer.from(req.body.dir, 'base64') } : {}),
          ...(req.body.keys ? { keys: req.body.keys } : {}),
        },
        owner,
      );
      return reply.code(204).send(null);
    },
  );

  app.delete(
    `${API_PREFIX}/agents/:profile/credentials`,
    {
      config: { audit: 'agent.credentials.delete' },
      schema: {
        ...doc(
          'deleteAgentCredentials',
          "Remove a profile's credentials (the caller's own, or a team's with ?team): all, or one by name",
        ),
        params: A.AgentRef,
        querystring: A.DeleteCredentialsQuery,
        response: { 204: Type.Null({ description: 'Removed' }) },
      },
    },
    async (req, reply) => {
      await creds.delete(req.params.profile, req.query.name, await ownerFor(req.principal, req.query.team));
      return reply.code(204).send(null);
    },
  );
};
