import { PassThrough, type Readable } from 'node:stream';
import { API_PREFIX, ResourceSchemas as S, Stats } from '@berth/api';
import {
  BOOTSTRAP_BASE_IMAGE,
  type Core,
  DEFAULT_SESSION_IMAGE,
  hostCaCertificates,
  imageTools,
  LABEL_SESSION_ID,
  LABEL_SESSION_NAME,
  NotFound,
} from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { requireAdmin } from '../auth/auth.js';
import { toProblem } from '../problems.js';

/** Berth's containers and images: server administration, for admins and the host's owner. */
export const resourceRoutes: FastifyPluginAsyncTypebox<{ core: Core }> = async (app, { core }) => {
  const images = imageTools();

  app.get(
    `${API_PREFIX}/containers`,
    {
      schema: {
        tags: ['containers'],
        summary: "Berth's containers and their state (admin)",
        response: { 200: S.ContainerList },
      },
    },
    async (req) => {
      requireAdmin(req);
      const list = await core.runtime.listManaged();
      return {
        containers: list.map((c) => ({
          id: c.id,
          name: c.name,
          status: c.status,
          sessionId: c.labels[LABEL_SESSION_ID] ?? null,
          sessionName: c.labels[LABEL_SESSION_NAME] ?? null,
        })),
      };
    },
  );

  app.get(
    `${API_PREFIX}/containers/:id/stats`,
    {
      schema: {
        tags: ['containers'],
        summary: "A berth container's stats (admin)",
        params: S.ContainerRef,
        response: { 200: Stats },
      },
    },
    async (req) => {
      requireAdmin(req);
      // Only berth's own containers, never anyone else's.
      const ours = (await core.runtime.listManaged()).find((c) => c.id.startsWith(req.params.id));
      if (!ours)
        throw new NotFound(`no berth container ${req.params.id}`, {
          hint: 'list them with GET /api/v1/containers',
        });
      return core.runtime.stats(ours.id);
    },
  );

  app.get(
    `${API_PREFIX}/images`,
    { schema: { tags: ['images'], summary: 'Session images berth builds', response: { 200: S.ImageList } } },
    async () => {
      const tags = [...new Set([DEFAULT_SESSION_IMAGE, BOOTSTRAP_BASE_IMAGE, core.config.defaultImage])];
      return { images: await Promise.all(tags.map((t) => images.status(t))) };
    },
  );

  app.post(
    `${API_PREFIX}/images/build`,
    {
      config: { audit: 'image.build' },
      schema: {
        tags: ['images'],
        summary: 'Build the session image; progress streams as application/x-ndjson (admin)',
        body: Type.Optional(S.BuildImageRequest),
        response: {
          200: {
            description: 'One JSON object a line: {progress}, then {image} or {problem}',
            content: { 'application/x-ndjson': { schema: Type.Unsafe<Readable>(Type.Object({})) } },
          },
        },
      },
    },
    async (req, reply) => {
      requireAdmin(req);
      const out = new PassThrough();
      const line = (obj: unknown) => out.write(`${JSON.stringify(obj)}\n`);
      const body = req.body ?? {};
      hostCaCertificates()
        .then((caCertificates) =>
          images.build({
            ...(body.tag ? { tag: body.tag } : {}),
            ...(body.base ? { base: body.base } : {}),
            caCertificates,
            onProgress: (progress) => line({ progress }),
          }),
        )
        .then(
          (image) => line({ image }),
          (err) => line({ problem: toProblem(err) }),
        )
        .finally(() => out.end());
      return reply.type('application/x-ndjson').send(out);
    },
  );
};
