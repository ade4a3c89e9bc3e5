import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeRepo, tempDir, testCore } from '@berth/testkit';
import { makeToken, makeUser, testServer } from '@berth/testkit/server';
import { describe, expect, it } from 'vitest';

async function as(
  t: Awaited<ReturnType<typeof testServer>>,
  username: string,
  role: 'admin' | 'member' = 'member',
) {
  const u = await makeUser(t.core, username, role);
  const { token } = await makeToken(t.core, u.id);
  return (o: { method?: string; url: string; payload?: object }) =>
    t.app.inject({
      method: (o.method ?? 'GET') as 'GET',
      url: o.url,
      payload: o.payload,
      headers: { authorization: `Bearer ${token}` },
    });
}

describe('teams and ownership', () => {
  it("a member sees their own and their team's sessions; another team's session is a 404 everywhere", async () => {
    const t = await testServer();
    const repo = makeRepo();
    const amy = await as(t, 'amy');
    const bob = await as(t, 'bob');
    const cat = await as(t, 'cat');
    expect(
      (await t.inject({ method: 'POST', url: '/api/v1/teams', payload: { name: 'red' } })).statusCode,
    ).toBe(201);
    for (const username of ['amy', 'bob']) {
      expect(
        (await t.inject({ method: 'POST', url: '/api/v1/teams/red/members', payload: { username } }))
          .statusCode,
      ).toBe(200);
    }
    expect(
      (await amy({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'shared', repo, team: 'red' } }))
        .statusCode,
    ).toBe(201);
    expect(
      (await amy({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'mine', repo } })).statusCode,
    ).toBe(201);
    // cat is in no team: sharing with red is refused, nothing made.
    const sneak = await cat({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'sneak', repo, team: 'red' },
    });
    expect(sneak.statusCode).toBe(400);

    const names = async (call: typeof amy) =>
      (await call({ url: '/api/v1/sessions' }))
        .json()
        .sessions.map((s: { name: string }) => s.name)
        .sort();
    expect(await names(amy)).toEqual(['mine', 'shared']);
    expect(await names(bob)).toEqual(['shared']);
    expect(await names(cat)).toEqual([]);
    expect((await t.inject('/api/v1/sessions')).json().total).toBe(2);

    for (const [method, url, payload] of [
      ['GET', '/api/v1/sessions/shared'],
      ['POST', '/api/v1/sessions/shared/pause'],
      ['POST', '/api/v1/sessions/shared/exec', { cmd: ['true'] }],
      ['GET', '/api/v1/sessions/shared/diff'],
      ['DELETE', '/api/v1/sessions/shared?force=true'],
      ['GET', '/api/v1/sessions/shared/shell'],
    ] as Array<[string, string, object?]>) {
      const r = await cat({ method, url, ...(payload ? { payload } : {}) });
      expect([method, url, r.statusCode]).toEqual([method, url, 404]);
      expect(r.json().detail).toBe("no session named 'shared'");
    }
    expect((await bob({ url: '/api/v1/sessions/mine' })).statusCode).toBe(404);
    expect((await bob({ method: 'POST', url: '/api/v1/sessions/shared/pause' })).json().status).toBe(
      'paused',
    );
    expect((await t.core.service.get('shared')).status).toBe('paused');
    expect((await t.core.service.get('mine')).status).toBe('running');
  });

  it('lists with filters, search, sort and pages', async () => {
    const t = await testServer();
    const repo = makeRepo();
    for (const name of ['beta', 'alpha', 'gamma']) await t.core.service.create({ name, repo });
    await t.core.service.pause('beta');
    const get = async (q: string) => (await t.inject(`/api/v1/sessions?${q}`)).json();
    expect((await get('status=paused')).sessions.map((s: { name: string }) => s.name)).toEqual(['beta']);
    expect((await get('q=AMM')).sessions.map((s: { name: string }) => s.name)).toEqual(['gamma']);
    expect((await get('sort=-name')).sessions.map((s: { name: string }) => s.name)).toEqual([
      'gamma',
      'beta',
      'alpha',
    ]);
    const page = await get('sort=name&limit=1&offset=1');
    expect([page.total, page.sessions.map((s: { name: string }) => s.name)]).toEqual([3, ['beta']]);
    expect((await get('owner=local')).total).toBe(3);
    expect((await t.inject('/api/v1/sessions?sort=nope')).statusCode).toBe(400);
  });

  it('caps running sessions per user', async () => {
    const core = await testCore({ maxRunningPerUser: 1 });
    const t = await testServer(core);
    const repo = makeRepo();
    const dan = await as(t, 'dan');
    expect(
      (await dan({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'd1', repo } })).statusCode,
    ).toBe(201);
    const second = await dan({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'd2', repo } });
    expect(second.statusCode).toBe(429);
    expect(second.json().detail).toContain('you already run 1 of your 1');
    // Someone else is not held back by dan's cap.
    expect(
      (await t.inject({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'x1', repo } })).statusCode,
    ).toBe(201);
  });

  it('keeps an audit trail of who did what, for admins only', async () => {
    const t = await testServer();
    const repo = makeRepo();
    const eve = await as(t, 'eve');
    await eve({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'au', repo } });
    await eve({ method: 'POST', url: '/api/v1/sessions/au/pause' });
    await eve({ method: 'POST', url: '/api/v1/sessions/au/finish', payload: {} });
    expect((await eve({ url: '/api/v1/audit' })).statusCode).toBe(403);
    const entries = (await t.inject('/api/v1/audit?session=au')).json().entries;
    expect(
      entries.map((e: { actor: string; action: string; outcome: string }) => [e.actor, e.action, e.outcome]),
    ).toEqual([
      ['user:eve', 'session.finish', 'refused'],
      ['user:eve', 'session.pause', 'ok'],
      ['user:eve', 'session.create', 'ok'],
    ]);
  });
});

describe('a session name cannot be another session’s id (security review F17)', () => {
  it("refuses a member's create or rename to a UUID, so by-id callers cannot be pointed at it", async () => {
    const t = await testServer();
    const repo = makeRepo();
    const amy = await as(t, 'amy');
    const victim = (
      await t.inject({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'victim', repo } })
    ).json();
    const created = await amy({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: victim.id, repo },
    });
    expect(created.statusCode).toBe(400);
    expect(created.json().detail).toContain('looks like a session id');
    expect(created.json().hint).toBeTruthy();
    expect((await t.core.service.list()).map((s) => s.name)).toEqual(['victim']);

    await amy({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'decoy', repo } });
    const renamed = await amy({
      method: 'PATCH',
      url: '/api/v1/sessions/decoy',
      payload: { name: victim.id },
    });
    expect(renamed.statusCode).toBe(400);
    expect((await t.core.service.get(victim.id)).name).toBe('victim');
  });
});

describe('host paths are for admins (security review F21)', () => {
  it("a member's daemon, agents and session answers name no host path; an admin's still do", async () => {
    const t = await testServer();
    const repo = makeRepo();
    const amy = await as(t, 'amy');
    const home = t.core.config.home;
    expect(
      (await amy({ method: 'POST', url: '/api/v1/sessions', payload: { name: 'paths', repo } })).json(),
    ).not.toHaveProperty('workspacePath');
    const member = {
      daemon: (await amy({ url: '/api/v1/daemon' })).json(),
      agents: (await amy({ url: '/api/v1/agents' })).json(),
      session: (await amy({ url: '/api/v1/sessions/paths' })).json(),
      list: (await amy({ url: '/api/v1/sessions' })).json(),
      paused: (await amy({ method: 'POST', url: '/api/v1/sessions/paths/pause' })).json(),
      health: (await amy({ url: '/api/v1/sessions/paths/health' })).json(),
      preview: await (async () => {
        await amy({ method: 'POST', url: '/api/v1/sessions/paths/resume' });
        const command = ['httpd', '-f', '-p', '8080'];
        return (
          await amy({
            method: 'POST',
            url: '/api/v1/sessions/paths/preview',
            payload: { command, port: 8080 },
          })
        ).json();
      })(),
    };
    expect(member.daemon.pid).toBeTypeOf('number');
    expect(member.daemon).not.toHaveProperty('home');
    expect(member.daemon).not.toHaveProperty('socket');
    expect(member.agents.agents.length).toBeGreaterThan(0);
    expect(member.agents).not.toHaveProperty('configFile');
    expect(member.session.name).toBe('paths');
    expect(member.session).not.toHaveProperty('workspacePath');
    expect(member.list.sessions[0]).not.toHaveProperty('workspacePath');
    expect(member.paused).not.toHaveProperty('workspacePath');
    expect(member.health.session).not.toHaveProperty('workspacePath');
    expect(member.preview.preview?.hostPort).toBeTypeOf('number');
    expect(member.preview).not.toHaveProperty('workspacePath');
    expect(JSON.stringify(member)).not.toContain(home);

    expect((await t.inject('/api/v1/daemon')).json().home).toBe(home);
    expect((await t.inject('/api/v1/agents')).json().configFile).toBeTypeOf('string');
    expect((await t.inject('/api/v1/sessions/paths')).json().workspacePath).toContain(home);
  });
});

describe("a member's sessions stay within the operator's bounds (security review F11)", () => {
  const GiB = 1024 ** 3;
  const OTHER_IMAGE = 'berth-test/node:1'; // on the engine, not offered to members

  it('refuses limits above the ceilings and images not on the list, on create and update; admins pass', async () => {
    const t = await testServer(await testCore({ memberCeilings: { cpus: 2, memoryBytes: GiB, pids: 256 } }));
    const repo = makeRepo();
    const amy = await as(t, 'amy');
    const create = (payload: object) => amy({ method: 'POST', url: '/api/v1/sessions', payload });

    const big = await create({ name: 'big', repo, memoryBytes: 2 ** 40 });
    expect(big.statusCode).toBe(403);
    expect(big.json().detail).toContain('BERTH_MAX_SESSION_MEMORY');
    expect(big.json().hint).toContain('1g');
    const image = await create({ name: 'img', repo, image: OTHER_IMAGE });
    expect(image.statusCode).toBe(403);
    expect(image.json().detail).toContain(OTHER_IMAGE);
    expect(image.json().hint).toContain('BERTH_MEMBER_IMAGES');
    expect(await t.core.service.list()).toEqual([]);

    expect((await create({ name: 'ok', repo, memoryBytes: GiB / 2, pids: 128 })).statusCode).toBe(201);
    // A live update takes cpus and memory (pids are set at create only).
    const raise = await amy({
      method: 'PATCH',
      url: '/api/v1/sessions/ok',
      payload: { memoryBytes: 2 ** 40 },
    });
    expect(raise.statusCode).toBe(403);
    expect(raise.json().detail).toContain('BERTH_MAX_SESSION_MEMORY');
    const cpus = await amy({ method: 'PATCH', url: '/api/v1/sessions/ok', payload: { cpus: 64 } });
    expect(cpus.statusCode).toBe(403);
    expect(cpus.json().detail).toContain('BERTH_MAX_SESSION_CPUS');
    const pids = await create({ name: 'forks', repo, pids: 100_000 });
    expect(pids.statusCode).toBe(403);
    expect(pids.json().detail).toContain('BERTH_MAX_SESSION_PIDS');
    expect((await t.core.service.get('ok')).limits).toEqual({ cpus: 1, memoryBytes: GiB / 2, pids: 128 });
    expect((await t.core.service.list()).map((s) => s.name)).toEqual(['ok']);

    const admin = await t.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'boss', repo, memoryBytes: 2 * GiB, image: OTHER_IMAGE },
    });
    expect(admin.statusCode).toBe(201);
    expect(
      (
        await t.inject({ method: 'PATCH', url: '/api/v1/sessions/boss', payload: { memoryBytes: 3 * GiB } })
      ).json().limits.memoryBytes,
    ).toBe(3 * GiB);
  });
});

describe('a member names local repositories under BERTH_REPO_ROOTS only (security review F2)', () => {
  it('refuses paths and file:// URLs outside the roots, symlinks out of them included, alike; admins pass', async () => {
    const root = tempDir('berth-roots-');
    const t = await testServer(await testCore({ repoRoots: [root] }));
    const amy = await as(t, 'amy');
    const inside = makeRepo({ 'README.md': 'ours' }, root);
    const outside = makeRepo({ 'README.md': 'the host owner’s' });
    symlinkSync(outside, join(root, 'link'));
    // A `.git` file inside a root that sends git to a repository outside it.
    mkdirSync(join(root, 'pointer'));
    writeFileSync(join(root, 'pointer', '.git'), `gitdir: ${join(outside, '.git')}\n`);
    mkdirSync(join(root, 'plain'));

    const attempts = [
      outside,
      pathToFileURL(outside).href,
      join(root, 'link'),
      pathToFileURL(join(root, 'link')).href,
      join(root, 'pointer'),
      join(root, 'plain'),
      join(root, 'missing'),
      `${root}/../${outside.split('/').pop()}`,
      'relative/path',
    ];
    const answers = [];
    for (const [i, repo] of attempts.entries()) {
      const r = await amy({ method: 'POST', url: '/api/v1/sessions', payload: { name: `try-${i}`, repo } });
      expect([repo, r.statusCode]).toEqual([repo, 403]);
      expect(r.headers['content-type']).toContain('application/problem+json');
      answers.push({ detail: r.json().detail, hint: r.json().hint });
    }
    // One answer for all: not a way to ask what exists on the host.
    expect(new Set(answers.map((a) => JSON.stringify(a))).size).toBe(1);
    expect(answers[0]!.hint).toContain('BERTH_REPO_ROOTS');
    expect(answers[0]!.hint).toContain('admin');
    expect(await t.core.service.list()).toEqual([]);

    const ok = await amy({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'inside', repo: inside },
    });
    expect(ok.statusCode).toBe(201);
    const admin = await t.inject({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'host', repo: outside },
    });
    expect(admin.statusCode).toBe(201);
    expect((await t.core.service.list()).map((s) => s.name).sort()).toEqual(['host', 'inside']);
  });
});
