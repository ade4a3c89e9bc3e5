import { API_PREFIX, BERTH_VERSION, Problem } from '@berth/api';
import swagger, { type SwaggerTransform } from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { Type } from 'typebox';

export const OPENAPI_PATH = `${API_PREFIX}/openapi.json`;
export const DOCS_PREFIX = '/docs';

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: Type.Ref('Problem') } },
});

/**
 * Every route answers its errors as RFC 9457 problem details (one error handler does it), so the
 * document says so for every operation instead of each route repeating it. Documentation only: the
 * route's own schema, which serializes its responses, is left as it is.
 */
const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  // @fastify/websocket hides its routes; berth documents them as the GET that upgrades.
  const websocket = route.websocket === true;
  if (schema?.hide && !websocket) return { schema, url };
  const response = { ...((schema?.response as Record<string, unknown> | undefined) ?? {}) };
  if (websocket) response['101'] ??= { type: 'null', description: 'Switching Protocols: a WebSocket' };
  if (Object.keys(response).length === 0) response['200'] = { description: 'Success' };
  response['4xx'] ??= problemResponse('The request was refused: RFC 9457 problem details');
  response['5xx'] ??= problemResponse('The daemon or the engine failed: RFC 9457 problem details');
  return { schema: { ...schema, hide: false, response } as FastifySchema, url };
};

/**
 * The OpenAPI 3.1 document, built from the routes' own TypeBox schemas, at `GET /api/v1/openapi.json`
 * and as interactive docs at `/docs` (assets served from the swagger-ui package, no CDN). Register it
 * before any route: the document lists the routes added after it.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  app.addSchema({ $id: 'Problem', ...Problem });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'berth',
        version: BERTH_VERSION,
        description:
          'Run coding agents and people in isolated Docker container sessions. Errors are RFC 9457 ' +
          'problem details (`application/problem+json`) with a stable `code` and a `hint`.',
      },
      tags: [
        { name: 'sessions', description: 'Create, drive and end sessions' },
        { name: 'meta', description: 'Health, settings, capabilities, metrics' },
      ],
    },
    transform: documentRoute,
    // Shared schemas keep their own name in `components.schemas` (`Problem`, not `def-0`).
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json.$id === 'string' ? json.$id : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: DOCS_PREFIX });
  app.get(OPENAPI_PATH, { schema: { hide: true } }, async () => app.swagger());
}
