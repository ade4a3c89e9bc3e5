import { randomUUID } from 'node:crypto';
import { API_PREFIX, TeamSchemas as S } from '@berth/api';
import { type AccountStore, NotFound, type Team } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { isAdmin, requireAdmin } from '../auth/auth.js';

/** Teams share sessions among their members. Admins make teams and manage membership. */
export const teamRoutes: FastifyPluginAsyncTypebox<{ accounts: AccountStore }> = async (
  app,
  { accounts },
) => {
  const base = `${API_PREFIX}/teams`;
  const tags = ['teams'];

  async function withMembers(t: Team) {
    const ids = await accounts.membersOf(t.id);
    const names = await Promise.all(ids.map(async (id) => (await accounts.getUser(id))?.username ?? id));
    return { ...t, members: names.sort() };
  }

  async function team(name: string): Promise<Team> {
    const t = await accounts.getTeamByName(name);
    if (!t)
      throw new NotFound(`no team named '${name.slice(0, 64)}'`, { hint: 'list teams with `berth team ls`' });
    return t;
  }

  app.get(
    base,
    { schema: { tags, summary: 'Teams (yours; all for admins)', response: { 200: S.TeamList } } },
    async (req) => {
      const p = req.principal;
      let teams = await accounts.listTeams();
      if (!isAdmin(p)) {
        const mine = new Set(p?.kind === 'user' ? await accounts.teamsOf(p.user.id) : []);
        teams = teams.filter((t) => mine.has(t.id));
      }
      return { teams: await Promise.all(teams.map(withMembers)) };
    },
  );

  app.post(
    base,
    {
      schema: { tags, summary: 'Make a team (admin)', body: S.CreateTeamRequest, response: { 201: S.Team } },
    },
    async (req, reply) => {
      requireAdmin(req);
      const t = { id: randomUUID(), name: req.body.name, createdAt: new Date().toISOString() };
      await accounts.insertTeam(t);
      return reply.code(201).send({ ...t, members: [] });
    },
  );

  app.post(
    `${base}/:team/members`,
    {
      schema: {
        tags,
        summary: 'Add a member (admin)',
        params: S.TeamRef,
        body: S.MemberRequest,
        response: { 200: S.Team },
      },
    },
    async (req) => {
      requireAdmin(req);
      const t = await team(req.params.team);
      const u = await accounts.getUserByName(req.body.username);
      if (!u)
        throw new NotFound(`no user named '${req.body.username.slice(0, 64)}'`, {
          hint: 'list users with `berth user ls`',
        });
      await accounts.addMember(t.id, u.id);
      return withMembers(t);
    },
  );

  app.delete(
    `${base}/:team/members/:username`,
    { schema: { tags, summary: 'Remove a member (admin)', params: S.MemberRef, response: { 200: S.Team } } },
    async (req) => {
      requireAdmin(req);
      const t = await team(req.params.team);
      const u = await accounts.getUserByName(req.params.username);
      if (u) await accounts.removeMember(t.id, u.id);
      return withMembers(t);
    },
  );
};
