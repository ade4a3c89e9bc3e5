import { PassThrough, Readable } from 'node:stream';
import {
  API_PREFIX,
  CreateProgressLine,
  CreateSessionRequest,
  Diff,
  diffStat,
  EgressReport,
  ExecRequest,
  ExecResponse,
  FinishRequest,
  LogsQuery,
  ResourceSchemas as R,
  RemoveQuery,
  Session,
  SessionList,
  SessionListQuery,
  SessionRef,
  Stats,
} from '@berth/api';
import {
  assertMemberImage,
  assertMemberRepo,
  assertWithinCeilings,
  type Core,
  memberImages,
} from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isAdmin } from '../auth/auth.js';
import type { SessionAccess } from '../auth/session-access.js';
import { hideHostPathsFromMembers, withoutHostPaths } from '../host-paths.js';
import { toProblem } from '../problems.js';
import { noteActivity } from './activity.js';

const ACTIONS = ['pause', 'resume', 'stop', 'start', 'restart', 'cancel'] as const;

const SUMMARIES: Record<(typeof ACTIONS)[number], string> = {
  pause: 'Pause a session (frees a running slot)',
  resume: 'Resume a paused session',
  stop: "Stop a session's container (frees a running slot)",
  start: 'Start a stopped session',
  restart: "Restart a session's container",
  cancel: 'Cancel a session: remove its container, working copy and branch',
};

/** The OpenAPI side of a route: its tag, a stable operationId and a one-line summary. */
const doc = (operationId: string, summary: string) => ({ tags: ['sessions'], operationId, summary });

/** Thin routes: validate with the api schemas, call the core service, let the error handler map. */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ core: Core; access: SessionAccess }> = async (
  app,
  { core, access },
) => {
  const svc = core.service;
  const base = `${API_PREFIX}/sessions`;

  /**
   * A member's ask stays within the operator's ceilings, images and repository roots; admins are
   * not held to them.
   */
  const boundForMembers = async (
    req: { principal: Parameters<typeof isAdmin>[0] },
    ask: { cpus?: number; memoryBytes?: number; pids?: number; image?: string; repo?: string },
  ) => {
    if (isAdmin(req.principal)) return;
    assertWithinCeilings(ask, core.config);
    if (ask.image !== undefined)
      assertMemberImage(ask.image, memberImages(core.config, await core.agents.catalogue()));
    if (ask.repo !== undefined) await assertMemberRepo(ask.repo, core.config.repoRoots);
  };

  // Every route on one session: a session this principal may not see is answered as absent.
  app.addHook('preHandler', async (req) => {
    const name = (req.params as { name?: string } | undefined)?.name;
    if (name === undefined) return;
    await access.assertVisible(req.principal, name);
    if (req.routeOptions.config?.idleNeutral !== true) await noteActivity(core, name, req.log);
  });
  app.addHook('preSerialization', hideHostPathsFromMembers);

  app.get(
    base,
    {
      schema: {
        ...doc('listSessions', 'List sessions: filter by status, owner, team; search; sort; page'),
        querystring: SessionListQuery,
        response: { 200: SessionList },
      },
    },
    async (req) => {
      const q = req.query;
      const canSee = await access.canSee(req.principal);
      const statuses = q.status ? new Set(q.status.split(',').map((x) => x.trim())) : null;
      const owner =
        q.owner === undefined
          ? undefined
          : q.owner === 'local'
            ? null
            : ((await core.store.accounts.getUserByName(q.owner))?.id ?? '\0');
      const team =
        q.team === undefined ? undefined : ((await core.store.accounts.getTeamByName(q.team))?.id ?? '\0');
      const needle = q.q?.toLowerCase();
      let list = (await svc.list()).filter(
        (s) =>
          canSee(s) &&
          (!statuses || statuses.has(s.status)) &&
          (owner === undefined || s.ownerId === owner) &&
          (team === undefined || s.teamId === team) &&
          (!needle ||
            s.name.includes(needle) ||
            s.repo.toLowerCase().includes(needle) ||
            (s.remote?.toLowerCase().includes(needle) ?? false)),
      );
      if (q.sort) {
        const desc = q.sort.startsWith('-');
        const key = q.sort.replace(/^-/, '') as 'name' | 'createdAt' | 'status';
        list = [...list].sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0) * (desc ? -1 : 1));
      }
      const offset = q.offset ?? 0;
      return { sessions: list.slice(offset, offset + (q.limit ?? 100)), total: list.length };
    },
  );

  app.post(
    base,
    {
      config: { audit: 'session.create' },
      schema: {
        ...doc('createSession', 'Create and start a session'),
        description:
          'With `Accept: application/x-ndjson` the answer streams progress lines, then the session or a problem.',
        body: CreateSessionRequest,
        response: {
          201: Session,
          // Streams on the wire (here and in logs): Unsafe keeps the documented schema, types the send.
          200: {
            description: 'Progress, one JSON object a line (when asked for with the Accept header)',
            content: { 'application/x-ndjson': { schema: Type.Unsafe<Readable>(CreateProgressLine) } },
          },
        },
      },
    },
    async (req, reply) => {
      const wantsProgress = (req.headers.accept ?? '').includes('application/x-ndjson');
      const { team, ...rest } = req.body;
      await boundForMembers(req, rest);
      const input = { ...rest, ...(await access.ownership(req.principal, team)) };
      if (!wantsProgress) {
        const session = await svc.create(input);
        return reply.code(201).send(session);
      }
      const out = new PassThrough();
      const shown = isAdmin(req.principal) ? (obj: unknown) => obj : withoutHostPaths;
      const line = (obj: unknown) => out.write(`${JSON.stringify(shown(obj))}\n`);
      svc
        .create(input, (progress) => line({ progress }))
        .then(
          (session) => line({ session }),
          (err) => line({ problem: toProblem(err) }),
        )
        .finally(() => out.end());
      return reply.code(200).type('application/x-ndjson').send(out);
    },
  );

  app.get(
    `${base}/:name`,
    {
      schema: {
        ...doc('getSession', 'One session, by name or id'),
        params: SessionRef,
        response: { 200: Session },
      },
    },
    async (req) => svc.get(req.params.name),
  );

  app.delete(
    `${base}/:name`,
    {
      config: { audit: 'session.remove' },
      schema: {
        ...doc('removeSession', "Remove a session's record (a live one only with `force`)"),
        params: SessionRef,
        querystring: RemoveQuery,
        response: { 204: Type.Null({ description: 'Removed' }) },
      },
    },
    async (req, reply) => {
      await svc.remove(req.params.name, { force: req.query.force === true });
      return reply.code(204).send(null);
    },
  );

  for (const action of ACTIONS) {
    app.post(
      `${base}/:name/${action}`,
      {
        config: { audit: `session.${action}` },
        schema: {
          ...doc(`${action}Session`, SUMMARIES[action]),
          params: SessionRef,
          response: { 200: Session },
        },
      },
      async (req) => svc[action](req.params.name),
    );
  }

  app.post(
    `${base}/:name/finish`,
    {
      config: { audit: 'session.finish' },
      schema: {
        ...doc('finishSession', 'Commit all changes onto the session branch and end the session'),
        params: SessionRef,
        body: FinishRequest,
        response: { 200: Session },
      },
    },
    async (req) => {
      const { message, push, merge } = req.body;
      return svc.finish(req.params.name, message, {
        ...(push !== undefined ? { push } : {}),
        ...(merge !== undefined ? { merge } : {}),
      });
    },
  );

  app.post(
    `${base}/:name/exec`,
    {
      config: { audit: 'session.exec' },
      bodyLimit: 24 * 1024 * 1024,
      schema: {
        ...doc('execInSession', 'Run a command in /workspace; stdout and stderr kept apart, base64'),
        params: SessionRef,
        body: ExecRequest,
        response: { 200: ExecResponse },
      },
    },
    async (req) => {
      const stdin = req.body.stdin === undefined ? undefined : Buffer.from(req.body.stdin, 'base64');
      const r = await svc.exec(req.params.name, req.body.cmd, stdin ? { stdin } : {});
      return {
        exitCode: r.exitCode,
        stdout: r.stdout.toString('base64'),
        stderr: r.stderr.toString('base64'),
        truncated: r.truncated,
      };
    },
  );

  app.get(
    `${base}/:name/logs`,
    {
      schema: {
        ...doc('sessionLogs', "The container's output (tail, follow)"),
        params: SessionRef,
        querystring: LogsQuery,
        response: {
          200: {
            description: 'Output as it comes',
            content: { 'text/plain': { schema: Type.Unsafe<Readable>(Type.String()) } },
          },
        },
      },
    },
    async (req, reply) => {
      const follow = req.query.follow === true;
      const abort = new AbortController();
      const chunks = await svc.logs(req.params.name, {
        follow,
        signal: abort.signal,
        ...(req.query.tail !== undefined ? { tail: req.query.tail } : {}),
      });
      req.raw.on('close', () => abort.abort());
      if (req.query.download === true) {
        const s = await svc.get(req.params.name);
        reply.header('content-disposition', `attachment; filename="berth-${s.name}.log"`);
      }
      const body = Readable.from(
        (async function* () {
          for await (const c of chunks) yield c.data;
        })(),
      );
      return reply.type('text/plain; charset=utf-8').send(body);
    },
  );

  app.patch(
    `${base}/:name`,
    {
      config: { audit: 'session.update' },
      schema: {
        ...doc('updateSession', 'Rename (and move its branch), describe, or change limits'),
        params: SessionRef,
        body: R.PatchSessionRequest,
        response: { 200: Session },
      },
    },
    async (req) => {
      await boundForMembers(req, req.body);
      return svc.patch(req.params.name, req.body);
    },
  );

  app.get(
    `${base}/:name/health`,
    {
      config: { idleNeutral: true },
      schema: {
        ...doc('sessionHealth', "The session's container: running, exit code, killed for memory"),
        params: SessionRef,
        response: { 200: R.SessionHealth },
      },
    },
    async (req) => {
      const { session, container } = await svc.health(req.params.name);
      const c = container
        ? {
            id: container.id,
            name: container.name,
            status: container.status,
            exitCode: container.exitCode,
            oomKilled: container.oomKilled === true,
          }
        : null;
      const healthy =
        session.status === 'running'
          ? c?.status === 'running'
          : session.status === 'paused'
            ? c?.status === 'paused'
            : true;
      return { session, container: c, healthy };
    },
  );

  app.get(
    `${base}/:name/stats`,
    {
      config: { idleNeutral: true },
      schema: {
        ...doc('sessionStats', 'CPU, memory, network, pids'),
        params: SessionRef,
        response: { 200: Stats },
      },
    },
    async (req) => svc.stats(req.params.name),
  );

  app.get(
    `${base}/:name/egress`,
    {
      config: { idleNeutral: true },
      schema: {
        ...doc('sessionEgress', 'What the session may reach outside itself, and what berth decided'),
        params: SessionRef,
        response: { 200: EgressReport },
      },
    },
    async (req) => {
      const s = await svc.get(req.params.name);
      return { egress: s.egress, ...(await core.egressLog.report(s.id)) };
    },
  );

  app.get(
    `${base}/:name/diff`,
    {
      // The dashboard reads it for each agent card: a look is not activity.
      config: { idleNeutral: true },
      schema: {
        ...doc('sessionDiff', 'The session branch against its base, uncommitted work included'),
        params: SessionRef,
        response: { 200: Diff },
      },
    },
    async (req) => {
      const d = await svc.diff(req.params.name);
      return { base: d.base, head: d.head, diff: d.diff, stat: diffStat(d.diff) };
    },
  );
};
