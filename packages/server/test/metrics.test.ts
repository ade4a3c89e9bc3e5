import { join } from 'node:path';
import { API_PREFIX } from '@berth/api';
import { type Core, DockerRuntime, openCore, SESSION_STATUSES } from '@berth/core';
import { makeRepo, testConfig, testCore } from '@berth/testkit';
import { makeToken, makeUser } from '@berth/testkit/server';
import Docker from 'dockerode';
import type { InjectOptions } from 'fastify';
import { register as globalRegistry } from 'prom-client';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildServer } from '../src/index.js';
import { createMetrics, METRICS_PATH, type Metrics } from '../src/metrics.js';

/** A core whose engine calls the metrics observe, as `berth serve` wires it. */
async function observedCore(metrics: Metrics): Promise<Core> {
  const core = await openCore(testConfig(), undefined, { observeEngine: metrics.observeEngine });
  onTestFinished(() => core.close());
  return core;
}

/** The app, and inject() as an admin with a bearer token (as over TCP). */
async function server(core: Core, metrics: Metrics, username = 'metrics-admin') {
  const app = await buildServer({
    core,
    metrics,
    daemon: () => ({ pid: 1, version: 'test', socket: '', home: core.config.home, startedAt: '', tcp: null }),
  });
  onTestFinished(() => app.close());
  const admin = await makeUser(core, username, 'admin');
  const { token } = await makeToken(core, admin.id);
  return (opts: InjectOptions | string) => {
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
    return app.inject({ ...o, headers: { authorization: `Bearer ${token}`, ...(o.headers ?? {}) } });
  };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format, one sample a line. */
function parse(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries(
        [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1]!, l[2]!]),
      );
      return { name: m[1]!, labels, value: Number(m[3]) };
    });
}

/** The value of the sample with exactly these labels, if there is one. */
function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const want = Object.entries(labels);
  return samples.find(
    (s) =>
      s.name === name &&
      Object.keys(s.labels).length === want.length &&
      want.every(([k, v]) => s.labels[k] === v),
  )?.value;
}

async function scrape(
  inject: Awaited<ReturnType<typeof server>>,
): Promise<{ text: string; samples: Sample[] }> {
  const r = await inject(METRICS_PATH);
  expect(r.statusCode).toBe(200);
  expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: r.body, samples: parse(r.body) };
}

describe('GET /metrics', () => {
  it('counts sessions by status, times requests by route pattern and engine calls by operation', async () => {
    const metrics = createMetrics();
    const core = await observedCore(metrics);
    const inject = await server(core, metrics);
    const repo = makeRepo();
    await core.service.create({ name: 'napping', repo });
    await core.service.pause('napping');
    await core.service.create({ name: 'busy', repo });

    expect((await inject(`${API_PREFIX}/sessions/napping`)).statusCode).toBe(200);
    expect((await inject(`${API_PREFIX}/sessions/nobody-here`)).statusCode).toBe(404);
    expect((await inject(`${API_PREFIX}/no-such-route-xyz`)).statusCode).toBe(404);

    const { text, samples } = await scrape(inject);
    const sessions = Object.fromEntries(
      SESSION_STATUSES.map((status) => [status, sampleValue(samples, 'berth_sessions', { status })]),
    );
    expect(sessions).toEqual({
      creating: 0,
      running: 1,
      paused: 1,
      stopped: 0,
      finished: 0,
      cancelled: 0,
      failed: 0,
    });

    const route = `${API_PREFIX}/sessions/:name`;
    const hits = (status_code: string) =>
      sampleValue(samples, 'berth_http_request_duration_seconds_count', {
        method: 'GET',
        route,
        status_code,
      });
    expect(hits('200')).toBe(1);
    expect(hits('404')).toBe(1);
    expect(
      sampleValue(samples, 'berth_http_request_duration_seconds_bucket', {
        le: '+Inf',
        method: 'GET',
        route,
        status_code: '200',
      }),
    ).toBe(1);
    expect(sampleValue(samples, 'berth_http_errors_total', { method: 'GET', route, class: '4xx' })).toBe(1);
    expect(
      sampleValue(samples, 'berth_http_errors_total', { method: 'GET', route: 'unmatched', class: '4xx' }),
    ).toBe(1);
    // Raw URLs never become label values: a client cannot mint series.
    expect(text).not.toContain('napping');
    expect(text).not.toContain('no-such-route-xyz');

    const calls = (operation: string) =>
      sampleValue(samples, 'berth_engine_call_duration_seconds_count', { operation });
    expect(calls('container.pause')).toBe(1);
    expect(calls('container.create')).toBe(2);
    expect(calls('container.start')).toBeGreaterThanOrEqual(2);
    expect(
      sampleValue(samples, 'berth_engine_call_duration_seconds_sum', { operation: 'container.create' }),
    ).toBeGreaterThan(0);
    expect(
      sampleValue(samples, 'berth_engine_call_errors_total', { operation: 'container.pause' }),
    ).toBeUndefined();
  });

  it('counts 5xx apart from 4xx, and failed engine calls by operation', async () => {
    const metrics = createMetrics();
    const core = await testCore();
    // A real fault: nothing listens on this socket.
    const noEngine = new DockerRuntime({
      home: core.config.home,
      docker: new Docker({ socketPath: join(core.config.home, 'no-engine.sock') }),
      onCall: metrics.observeEngine,
    });
    const inject = await server({ ...core, runtime: noEngine }, metrics);

    expect((await inject('/health')).statusCode).toBe(503);
    const { samples } = await scrape(inject);
    expect(
      sampleValue(samples, 'berth_http_errors_total', { method: 'GET', route: '/health', class: '5xx' }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'berth_http_errors_total', { method: 'GET', route: '/health', class: '4xx' }),
    ).toBeUndefined();
    expect(sampleValue(samples, 'berth_engine_call_duration_seconds_count', { operation: 'ping' })).toBe(1);
    expect(sampleValue(samples, 'berth_engine_call_errors_total', { operation: 'ping' })).toBe(1);
  });

  it('each app has its own registry, never the global one', async () => {
    const a = createMetrics();
    const b = createMetrics();
    const core = await testCore();
    const injectA = await server(core, a);
    const injectB = await server(core, b, 'metrics-other');
    await injectA('/health');
    await injectA('/health');
    const fromA = (await scrape(injectA)).samples;
    const fromB = (await scrape(injectB)).samples;
    const healthChecks = (s: Sample[]) =>
      sampleValue(s, 'berth_http_request_duration_seconds_count', {
        method: 'GET',
        route: '/health',
        status_code: '200',
      });
    expect(healthChecks(fromA)).toBe(2);
    expect(healthChecks(fromB)).toBeUndefined();
    expect(globalRegistry.getMetricsAsArray().filter((m) => m.name.startsWith('berth_'))).toEqual([]);
  });
});
