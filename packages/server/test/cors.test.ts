import { testCore } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildServer } from '../src/index.js';

async function app(corsOrigins?: string[]) {
  const core = await testCore();
  const a = await buildServer({
    core,
    daemon: () => ({ pid: 1, version: 'test', socket: '', home: core.config.home, startedAt: '', tcp: null }),
    ...(corsOrigins ? { corsOrigins } : {}),
  });
  onTestFinished(() => a.close());
  return a;
}

const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/api/v1/sessions',
  headers: { origin, 'access-control-request-method': 'GET' },
});

describe('CORS', () => {
  it('is off by default', async () => {
    const a = await app();
    const r = await a.inject(preflight('http://app.example'));
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers only the origins on the allow-list, without credentials', async () => {
    const a = await app(['http://app.example']);
    const ok = await a.inject(preflight('http://app.example'));
    expect(ok.headers['access-control-allow-origin']).toBe('http://app.example');
    expect(ok.headers['access-control-allow-credentials']).toBeUndefined();
    const other = await a.inject(preflight('http://evil.example'));
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
