import { type Core, type EngineCallObserver, SESSION_STATUSES, type SessionStatus } from '@berth/core';
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { Type } from 'typebox';

export const METRICS_PATH = '/metrics';

/**
 * One app's metrics. Each app has its own registry, never prom-client's global one, so two apps
 * in one process (tests) never share or collide on a series. Made before the core, so the core's
 * engine calls can be observed from its first one: pass `observeEngine` to `openCore`.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly observeEngine: EngineCallObserver;
}

export function createMetrics(opts: { processMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const engineCalls = new Histogram({
    name: 'berth_engine_call_duration_seconds',
    help: 'Duration of Docker Engine calls, by operation',
    labelNames: ['operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const engineErrors = new Counter({
    name: 'berth_engine_call_errors_total',
    help: 'Docker Engine calls that failed, by operation',
    labelNames: ['operation'] as const,
    registers: [registry],
  });
  // Process CPU, memory, handles and event-loop lag: for the daemon, not for every test app.
  if (opts.processMetrics) collectDefaultMetrics({ register: registry });
  return {
    registry,
    observeEngine(op, seconds, ok) {
      engineCalls.observe({ operation: op }, seconds);
      if (!ok) engineErrors.inc({ operation: op });
    },
  };
}

/**
 * Sessions by status (read from the store at scrape time), HTTP request durations and errors by
 * route pattern, and `GET /metrics` in the Prometheus text format. Call it before any route is
 * registered: its hooks reach the routes added after it.
 */
export function registerMetrics(app: FastifyInstance, deps: { core: Core; metrics: Metrics }): void {
  const { registry } = deps.metrics;
  new Gauge({
    name: 'berth_sessions',
    help: 'Sessions by status',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      const counts = Object.fromEntries(SESSION_STATUSES.map((s) => [s, 0])) as Record<SessionStatus, number>;
      for (const session of await deps.core.store.list()) counts[session.status]++;
      for (const status of SESSION_STATUSES) this.set({ status }, counts[status]);
    },
  });
  const requests = new Histogram({
    name: 'berth_http_request_duration_seconds',
    help: 'Duration of HTTP requests, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'berth_http_errors_total',
    help: 'HTTP responses with a 4xx or 5xx status, by method, route pattern and class',
    labelNames: ['method', 'route', 'class'] as const,
    registers: [registry],
  });

  app.addHook('onResponse', async (req, reply) => {
    // The pattern (`/api/v1/sessions/:name`), never the raw URL: a client must not mint series.
    const route = req.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    requests.observe({ method: req.method, route, status_code: String(status) }, reply.elapsedTime / 1000);
    if (status >= 400) errors.inc({ method: req.method, route, class: status >= 500 ? '5xx' : '4xx' });
  });

  app.get(
    METRICS_PATH,
    {
      schema: {
        tags: ['meta'],
        summary: 'Prometheus metrics in the text exposition format',
        operationId: 'getMetrics',
        produces: ['text/plain'],
        response: {
          200: {
            description: 'Prometheus text format 0.0.4',
            content: { 'text/plain': { schema: Type.String() } },
          },
        },
      },
    },
    async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}
