import { docker, git, makeRepo } from '@berth/testkit';
import { makeToken, makeUser, testServer } from '@berth/testkit/server';
import { describe, expect, it } from 'vitest';

describe('session changes, health, logs download, containers and images', () => {
  it('PATCH renames a session and its branch, describes it and changes its live limits', async () => {
    const t = await testServer();
    const repo = makeRepo();
    const s = await t.core.service.create({ name: 'old', repo });
    const r = await t.inject({
      method: 'PATCH',
      url: '/api/v1/sessions/old',
      payload: { name: 'new', description: 'renamed', cpus: 0.5, memoryBytes: 256 * 1024 ** 2 },
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toMatchObject({
      name: 'new',
      branch: 'berth/new',
      description: 'renamed',
      limits: { cpus: 0.5 },
    });
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('berth/new');
    const hc = (await docker.getContainer(s.containerId!).inspect()).HostConfig;
    expect([hc.NanoCpus, hc.Memory, hc.MemorySwap]).toEqual([5e8, 256 * 1024 ** 2, 256 * 1024 ** 2]);
    expect((await t.inject({ method: 'PATCH', url: '/api/v1/sessions/new', payload: {} })).statusCode).toBe(
      400,
    );
    expect(
      (await t.inject({ method: 'PATCH', url: '/api/v1/sessions/new', payload: { name: 'Bad/Name' } }))
        .statusCode,
    ).toBe(400);
    await t.core.service.create({ name: 'other', repo });
    expect(
      (await t.inject({ method: 'PATCH', url: '/api/v1/sessions/new', payload: { name: 'other' } }))
        .statusCode,
    ).toBe(409);
  });

  it('reports container health, and a killed container as unhealthy', async () => {
    const t = await testServer();
    const s = await t.core.service.create({ name: 'hl', repo: makeRepo() });
    expect((await t.inject('/api/v1/sessions/hl/health')).json()).toMatchObject({
      healthy: true,
      container: { status: 'running' },
    });
    await docker.getContainer(s.containerId!).kill();
    const after = (await t.inject('/api/v1/sessions/hl/health')).json();
    expect(after).toMatchObject({ healthy: false, container: { status: 'exited', exitCode: 137 } });
  });

  it('downloads logs as a file', async () => {
    const t = await testServer();
    await t.core.service.create({ name: 'lg', repo: makeRepo() });
    const r = await t.inject('/api/v1/sessions/lg/logs?download=true');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="berth-lg.log"');
  });

  it("lists berth's containers and images for admins only, and never stats anyone else's container", async () => {
    const t = await testServer();
    const s = await t.core.service.create({ name: 'ct', repo: makeRepo() });
    const list = (await t.inject('/api/v1/containers')).json().containers;
    // The session's, and berth's egress relay (no session's: on every filtered session's network).
    expect(list).toHaveLength(2);
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: s.containerId, sessionName: 'ct', status: 'running' }),
        expect.objectContaining({
          name: expect.stringMatching(/^berth-egress-relay-/),
          sessionId: null,
          status: 'running',
        }),
      ]),
    );
    const stats = await t.inject(`/api/v1/containers/${s.containerId!.slice(0, 12)}/stats`);
    expect(stats.json().pids).toBeGreaterThan(0);
    const stranger = await docker.createContainer({ Image: 'berth-test/busybox:1', Cmd: ['true'] });
    try {
      expect((await t.inject(`/api/v1/containers/${stranger.id}/stats`)).statusCode).toBe(404);
    } finally {
      await stranger.remove({ force: true });
    }
    const member = await makeUser(t.core, 'mo', 'member');
    const { token } = await makeToken(t.core, member.id);
    expect(
      (await t.app.inject({ url: '/api/v1/containers', headers: { authorization: `Bearer ${token}` } }))
        .statusCode,
    ).toBe(403);
    const images = (await t.inject('/api/v1/images')).json().images;
    expect(images.map((i: { tag: string }) => i.tag)).toContain('berth/session:bookworm');
  });

  it('builds the session image with progress streamed as ndjson', async () => {
    const t = await testServer();
    const tag = `berth-test/session:build-${Date.now()}`;
    try {
      const r = await t.inject({ method: 'POST', url: '/api/v1/images/build', payload: { tag } });
      expect(r.statusCode).toBe(200);
      const lines = r.body
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines.some((l) => typeof l.progress === 'string')).toBe(true);
      expect(lines.at(-1)).toMatchObject({ image: { tag } });
    } finally {
      await docker
        .getImage(tag)
        .remove({ force: true })
        .catch(() => undefined);
    }
  }, 240_000);
});
