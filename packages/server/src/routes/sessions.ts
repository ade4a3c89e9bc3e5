import { PassThrough, Readable } from 'node:stream';
import {
  API_PREFIX,
  CreateSessionRequest,
  Diff,
  ExecRequest,
  ExecResponse,
  FinishRequest,
  LogsQuery,
  RemoveQuery,
  Session,
  SessionList,
  SessionRef,
  Stats,
} from '@berth/api';
import type { Core } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { toProblem } from '../problems.js';

const ACTIONS = ['pause', 'resume', 'stop', 'start', 'restart', 'cancel'] as const;

/** Thin routes: validate with the api schemas, call the core service, let the error handler map. */
export const sessionRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const svc = core.service;
  const base = `${API_PREFIX}/sessions`;

  app.get(base, { schema: { response: { 200: SessionList } } }, async () => ({ sessions: await svc.list() }));

  app.post(base, { schema: { body: CreateSessionRequest } }, async (req, reply) => {
    const wantsProgress = (req.headers.accept ?? '').includes('application/x-ndjson');
    if (!wantsProgress) {
      const session = await svc.create(req.body);
      return reply.code(201).send(session);
    }
    const out = new PassThrough();
    const line = (obj: unknown) => out.write(`${JSON.stringify(obj)}\n`);
    svc
      .create(req.body, (progress) => line({ progress }))
      .then(
        (session) => line({ session }),
        (err) => line({ problem: toProblem(err) }),
      )
      .finally(() => out.end());
    return reply.code(200).type('application/x-ndjson').send(out);
  });

  app.get(`${base}/:name`, { schema: { params: SessionRef, response: { 200: Session } } }, async (req) =>
    svc.get(req.params.name),
  );

  app.delete(
    `${base}/:name`,
    { schema: { params: SessionRef, querystring: RemoveQuery } },
    async (req, reply) => {
      await svc.remove(req.params.name, { force: req.query.force === true });
      return reply.code(204).send();
    },
  );

  for (const action of ACTIONS) {
    app.post(
      `${base}/:name/${action}`,
      { schema: { params: SessionRef, response: { 200: Session } } },
      async (req) => svc[action](req.params.name),
    );
  }

  app.post(
    `${base}/:name/finish`,
    { schema: { params: SessionRef, body: FinishRequest, response: { 200: Session } } },
    async (req) => svc.finish(req.params.name, req.body.message),
  );

  app.post(
    `${base}/:name/exec`,
    {
      bodyLimit: 24 * 1024 * 1024,
      schema: { params: SessionRef, body: ExecRequest, response: { 200: ExecResponse } },
    },
    async (req) => {
      const stdin = req.body.stdin === undefined ? undefined : Buffer.from(req.body.stdin, 'base64');
      const r = await svc.exec(req.params.name, req.body.cmd, stdin ? { stdin } : {});
      return {
        exitCode: r.exitCode,
        stdout: r.stdout.toString('base64'),
        stderr: r.stderr.toString('base64'),
      };
    },
  );

  app.get(
    `${base}/:name/logs`,
    { schema: { params: SessionRef, querystring: LogsQuery } },
    async (req, reply) => {
      const follow = req.query.follow === true;
      const abort = new AbortController();
      const chunks = await svc.logs(req.params.name, {
        follow,
        signal: abort.signal,
        ...(req.query.tail !== undefined ? { tail: req.query.tail } : {}),
      });
      req.raw.on('close', () => abort.abort());
      const body = Readable.from(
        (async function* () {
          for await (const c of chunks) yield c.data;
        })(),
      );
      return reply.type('text/plain; charset=utf-8').send(body);
    },
  );

  app.get(`${base}/:name/stats`, { schema: { params: SessionRef, response: { 200: Stats } } }, async (req) =>
    svc.stats(req.params.name),
  );

  app.get(`${base}/:name/diff`, { schema: { params: SessionRef, response: { 200: Diff } } }, async (req) => {
    const d = await svc.diff(req.params.name);
    return { base: d.base, head: d.head, diff: d.diff };
  });
};
