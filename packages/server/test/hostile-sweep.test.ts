import { containersOf, git, makeRepo } from '@berth/testkit';
import { testServer } from '@berth/testkit/server';
import { describe, expect, it } from 'vitest';

const HOSTILE_BODIES: unknown[] = [
  {},
  [],
  'x',
  42,
  null,
  { name: 7, username: 7, message: 7, cmd: 7, tag: 7, team: 7 },
  { name: 'x'.repeat(100_000) },
  {
    name: '../../etc/passwd',
    username: '../root',
    team: '..',
    tag: '../../x',
    base: '-rm',
    message: '\u0000',
  },
  { name: '名前\u202e', username: 'Ünï', password: '\u0000', cmd: ['\u0000'], role: 'root' },
  { extra: true, __proto__: { admin: true } },
];

const HOSTILE_SEGMENTS = ['..', '%2e%2e%2f', 'x'.repeat(300), '%00', '名前', 'a%2Fb'];

describe('hostile input on every route', () => {
  it('never answers 5xx or crashes, errors are problem+json, and nothing changes', async () => {
    const t = await testServer();
    const repo = makeRepo();
    await t.core.service.create({ name: 'keep', repo });
    const before = {
      sessions: JSON.stringify(
        (await t.core.service.list()).map((s) => [s.name, s.status, s.limits, s.description]),
      ),
      refs: git(repo, 'for-each-ref'),
      users: (await t.core.store.accounts.listUsers()).length,
      teams: (await t.core.store.accounts.listTeams()).length,
    };
    await t.app.ready();
    // Routes that would legitimately change something with a well-formed body are still hit:
    // their hostile bodies must be refused before any change.
    const skip = new Set(['POST /api/v1/auth/logout', 'POST /api/v1/images/build']);
    // The WebSocket routes are in: without an upgrade they answer problems too (426, or 404/400).
    const routes = t.app.berthRoutes.filter((r) => !skip.has(r) && !r.startsWith('GET /docs'));
    let requests = 0;
    for (const route of routes) {
      const [method, pattern] = route.split(' ') as [string, string];
      const urls = pattern.includes(':')
        ? HOSTILE_SEGMENTS.map((seg) => pattern.replace(/:\w+/g, seg))
        : [pattern, `${pattern}?limit=-1&offset=abc&sort=%00&status=${'x'.repeat(500)}&tail=NaN&force=maybe`];
      for (const url of urls) {
        const bodies = method === 'GET' || method === 'DELETE' ? [undefined] : HOSTILE_BODIES;
        for (const body of bodies) {
          const r = await t.inject({
            method: method as 'POST',
            url,
            ...(body === undefined
              ? {}
              : { payload: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
          });
          requests++;
          expect([route, url.slice(0, 60), r.statusCode < 500]).toEqual([route, url.slice(0, 60), true]);
          if (r.statusCode >= 400)
            expect([route, url.slice(0, 60), r.statusCode, r.headers['content-type']]).toEqual([
              route,
              url.slice(0, 60),
              r.statusCode,
              expect.stringContaining('application/problem+json'),
            ]);
        }
      }
    }
    expect(requests).toBeGreaterThan(300);
    const after = {
      sessions: JSON.stringify(
        (await t.core.service.list()).map((s) => [s.name, s.status, s.limits, s.description]),
      ),
      refs: git(repo, 'for-each-ref'),
      users: (await t.core.store.accounts.listUsers()).length,
      teams: (await t.core.store.accounts.listTeams()).length,
    };
    expect(after).toEqual(before);
    expect(await containersOf(t.core.config.home)).toHaveLength(1);
  }, 240_000);
});
