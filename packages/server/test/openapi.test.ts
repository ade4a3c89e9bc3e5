import { join } from 'node:path';
import { API_PREFIX, BERTH_VERSION, Capabilities, ServerConfig } from '@berth/api';
import { DockerRuntime } from '@berth/core';
import { docker, testCore } from '@berth/testkit';
import { testServer } from '@berth/testkit/server';
import { Validator } from '@seriousme/openapi-schema-validator';
import Docker from 'dockerode';
import Fastify from 'fastify';
import { Check } from 'typebox/value';
import { describe, expect, it, onTestFinished } from 'vitest';
import { DOCS_PREFIX, OPENAPI_PATH } from '../src/openapi.js';
import { metaRoutes } from '../src/routes/meta.js';

interface OpenApiDocument {
  openapi: string;
  info: { title?: string; version: string };
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
}

async function openApiDocument() {
  const t = await testServer();
  const r = await t.inject(OPENAPI_PATH);
  expect(r.statusCode).toBe(200);
  return { ...t, doc: r.json() as OpenApiDocument };
}

async function validate(doc: unknown) {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as Parameters<Validator['validate']>[0]);
  return { result, version: validator.version };
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document, by the standard schema', async () => {
    const { doc } = await openApiDocument();
    const { result, version } = await validate(doc);
    expect(result.errors, JSON.stringify(result.errors, null, 2)).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(version).toBe('3.1');
    expect(doc.openapi).toBe('3.1.0');
    expect(doc).toMatchObject({ info: { title: 'berth', version: BERTH_VERSION } });
  });

  it('the validator really checks 3.1 documents: broken copies fail', async () => {
    const { doc } = await openApiDocument();
    const noTitle = structuredClone(doc);
    delete noTitle.info.title;
    expect((await validate(noTitle)).result.valid).toBe(false);
    const badPath = structuredClone(doc);
    badPath.paths['health-without-slash'] = badPath.paths['/health']!;
    expect((await validate(badPath)).result.valid).toBe(false);
    const optionalPathParam = structuredClone(doc);
    const getSession = optionalPathParam.paths[`${API_PREFIX}/sessions/{name}`]!.get as unknown as {
      parameters: Array<{ in: string; required: boolean }>;
    };
    for (const p of getSession.parameters) if (p.in === 'path') p.required = false;
    expect((await validate(optionalPathParam)).result.valid).toBe(false);
  });

  it('lists every route the app registers, with its method', async () => {
    const { app, doc } = await openApiDocument();
    const routes = app.berthRoutes.filter(
      (r) => !r.startsWith(`GET ${DOCS_PREFIX}`) && r !== `GET ${OPENAPI_PATH}`,
    );
    // The sweep means something only if it saw the routes of every area.
    for (const must of [
      'GET /health',
      'GET /metrics',
      `GET ${API_PREFIX}/capabilities`,
      `GET ${API_PREFIX}/config`,
      `POST ${API_PREFIX}/sessions/:name/pause`,
      `GET ${API_PREFIX}/sessions/:name/shell`,
    ]) {
      expect(routes).toContain(must);
    }
    const missing = routes.filter((r) => {
      const [method, url] = r.split(' ') as [string, string];
      const path = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      return doc.paths[path]?.[method.toLowerCase()] === undefined;
    });
    expect(missing).toEqual([]);
  });

  it('documents problem details for 4xx and 5xx on every operation, and unique operationIds', async () => {
    const { doc } = await openApiDocument();
    expect(doc.components.schemas.Problem).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['type', 'title', 'status', 'detail', 'code']),
    });
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const range of ['4XX', '5XX']) {
          expect(op.responses[range], `${method} ${path} ${range}`).toMatchObject({
            content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
          });
        }
        if (op.operationId) ids.push(op.operationId);
      }
    }
    expect(ids).toContain('createSession');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('serves interactive docs at /docs from its own assets, no CDN', async () => {
    const { inject } = await testServer();
    const page = await inject(DOCS_PREFIX);
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).toContain('swagger-ui');
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets.length).toBeGreaterThan(0);
    for (const asset of assets) {
      expect(asset, 'no asset from another host').not.toMatch(/^(https?:)?\/\//);
      const r = await inject(new URL(asset, `http://localhost${DOCS_PREFIX}`).pathname);
      expect(r.statusCode, asset).toBe(200);
    }
    const spec = await inject(`${DOCS_PREFIX}/json`);
    expect(spec.json()).toMatchObject({ openapi: '3.1.0' });
  });
});

describe('API metadata', () => {
  it('/api/v1/config answers the settings its schema describes', async () => {
    const { core, inject } = await testServer();
    const r = await inject(`${API_PREFIX}/config`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(Check(ServerConfig, body)).toBe(true);
    expect(body).toEqual({
      version: BERTH_VERSION,
      maxRunningSessions: core.config.maxRunningSessions,
      defaultImage: core.config.defaultImage,
      defaultLimits: core.config.defaultLimits,
      sessionNetwork: core.config.sessionNetwork,
      tcp: null,
    });
  });

  it('/api/v1/capabilities reports the engine, gVisor, cgroups, limits and auth modes', async () => {
    const { core, inject } = await testServer();
    const r = await inject(`${API_PREFIX}/capabilities`);
    expect(r.statusCode).toBe(200);
    const body = r.json();
    expect(Check(Capabilities, body)).toBe(true);
    const info = await docker.info();
    expect(body).toEqual({
      version: BERTH_VERSION,
      apiPrefix: API_PREFIX,
      runtime: {
        kind: 'docker',
        available: true,
        engineVersion: info.ServerVersion,
        runtimes: Object.keys(info.Runtimes).sort(),
        gvisor: Object.keys(info.Runtimes).includes('runsc'),
        cgroupVersion: info.CgroupVersion,
      },
      limits: {
        maxRunningSessions: core.config.maxRunningSessions,
        defaultLimits: core.config.defaultLimits,
        profiles: {
          shell: core.config.defaultLimits,
          agent: { cpus: 1, memoryBytes: 2 * 1024 ** 3, pids: core.config.defaultLimits.pids },
          preview: { cpus: 0.5, memoryBytes: 1024 ** 3, pids: core.config.defaultLimits.pids },
        },
      },
      gvisor: { available: Object.keys(info.Runtimes).includes('runsc'), runtime: 'runsc' },
      auth: { modes: expect.arrayContaining(['unix-socket']) },
    });
  });

  it('capabilities says so when the engine does not answer, and takes the auth modes it is given', async () => {
    const core = await testCore();
    const noEngine = new DockerRuntime({
      home: core.config.home,
      docker: new Docker({ socketPath: join(core.config.home, 'no-engine.sock') }),
    });
    const app = Fastify();
    onTestFinished(() => app.close());
    await app.register(metaRoutes, {
      core: { ...core, runtime: noEngine },
      authModes: ['unix-socket', 'token'],
    });
    const body = (await app.inject(`${API_PREFIX}/capabilities`)).json();
    expect(Check(Capabilities, body)).toBe(true);
    expect(body.runtime).toEqual({
      kind: 'docker',
      available: false,
      engineVersion: null,
      runtimes: [],
      gvisor: false,
      cgroupVersion: null,
    });
    expect(body.auth).toEqual({ modes: ['unix-socket', 'token'] });
  });
});
