import type { Core } from '@berth/core';
import { agentCore, makeRepo, STAND_IN_PROFILE, tarOf, uniqueSecret } from '@berth/testkit';
import { makeToken, makeUser } from '@berth/testkit/server';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it, onTestFinished } from 'vitest';
import { buildServer } from '../src/index.js';

/** The stand-in, but it will not start without credentials (as claude, codex and the rest). */
const LOCKED = { ...STAND_IN_PROFILE, credentials: { ...STAND_IN_PROFILE.credentials, required: true } };

async function server() {
  const core = await agentCore({ agents: { 'stand-in': LOCKED } });
  const app = await buildServer({
    core,
    daemon: () => ({ pid: 1, version: 'test', socket: '', home: core.config.home, startedAt: '', tcp: null }),
  });
  onTestFinished(() => app.close());
  return { core, app };
}

async function as(core: Core, app: FastifyInstance, username: string, role: 'admin' | 'member' = 'member') {
  const u = await makeUser(core, username, role);
  const { token } = await makeToken(core, u.id);
  return (o: { method?: string; url: string; payload?: object }) =>
    app.inject({
      method: (o.method ?? 'GET') as 'GET',
      url: o.url,
      ...(o.payload ? { payload: o.payload } : {}),
      headers: { authorization: `Bearer ${token}` },
    });
}

async function setUp(call: Awaited<ReturnType<typeof as>>, secret: string, query = '') {
  const r = await call({
    method: 'PUT',
    url: `/api/v1/agents/stand-in/credentials${query}`,
    payload: {
      dir: (await tarOf({ 'creds.json': secret })).toString('base64'),
      keys: { STAND_IN_KEY: secret },
    },
  });
  expect(r.statusCode, r.body).toBe(204);
}

/** What the session can read of its credentials: the directory's file and the key's file. */
async function seen(core: Core, name: string): Promise<string> {
  const r = await core.service.exec(name, [
    'sh',
    '-c',
    'cat /home/berth/.stand-in-creds/creds.json /run/berth/secrets/STAND_IN_KEY 2>/dev/null; true',
  ]);
  return r.stdout.toString('utf8');
}

describe('agent credentials belong to an owner (security review F12)', () => {
  it("a member of another team cannot run or read the admin's credentials; their own and their team's are theirs", async () => {
    const { core, app } = await server();
    const repo = makeRepo();
    const admin = await as(core, app, 'root1', 'admin');
    const mel = await as(core, app, 'mel');
    const ned = await as(core, app, 'ned');
    const ola = await as(core, app, 'ola');
    for (const team of ['blue', 'green']) {
      expect(
        (await admin({ method: 'POST', url: '/api/v1/teams', payload: { name: team } })).statusCode,
      ).toBe(201);
    }
    for (const [team, username] of [
      ['blue', 'mel'],
      ['blue', 'ned'],
      ['green', 'ola'],
    ] as const) {
      const r = await admin({ method: 'POST', url: `/api/v1/teams/${team}/members`, payload: { username } });
      expect(r.statusCode).toBe(200);
    }

    const adminSecret = uniqueSecret('admin-login');
    await setUp(admin, adminSecret);
    const mine = await admin({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'admins', repo, agent: 'stand-in', prompt: 'hi' },
    });
    expect(mine.statusCode, mine.body).toBe(201);
    expect(await seen(core, 'admins')).toContain(adminSecret);

    // The attack: mel (another team, no credentials of her own) asks for the profile.
    const stolen = await mel({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'steal', repo, agent: 'stand-in', prompt: 'key STAND_IN_KEY' },
    });
    expect(stolen.statusCode, stolen.body).toBe(400);
    expect(stolen.json().detail).toContain('no credentials set up');
    expect(stolen.json().hint).toContain('berth auth setup stand-in');
    expect(stolen.body).not.toContain(adminSecret);
    const viaTeam = await mel({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'steal2', repo, agent: 'stand-in', prompt: 'hi', team: 'blue' },
    });
    expect(viaTeam.statusCode, viaTeam.body).toBe(400);
    expect(viaTeam.json().detail).toContain('no credentials set up');

    // Her own: her session gets hers, never the admin's; the admin's are as they were.
    const melSecret = uniqueSecret('mel-login');
    await setUp(mel, melSecret);
    const melList = (await mel({ url: '/api/v1/agents' })).json();
    expect(melList.agents.find((a: { name: string }) => a.name === 'stand-in').configured.dir).toMatchObject({
      files: 1,
      bytes: melSecret.length,
    });
    const hers = await mel({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'mels', repo, agent: 'stand-in', prompt: 'hi' },
    });
    expect(hers.statusCode, hers.body).toBe(201);
    const melSees = await seen(core, 'mels');
    expect(melSees).toContain(melSecret);
    expect(melSees).not.toContain(adminSecret);
    const adminList = (await admin({ url: '/api/v1/agents' })).json();
    expect(
      adminList.agents.find((a: { name: string }) => a.name === 'stand-in').configured.dir,
    ).toMatchObject({ bytes: adminSecret.length });

    // A team's: set by a member, used by the team's sessions, not by another team's.
    const outsider = await ola({
      method: 'PUT',
      url: '/api/v1/agents/stand-in/credentials?team=blue',
      payload: { keys: { STAND_IN_KEY: 'x' } },
    });
    expect(outsider.statusCode).toBe(400);
    expect(outsider.json().detail).toContain("not a member of a team named 'blue'");
    const blueSecret = uniqueSecret('blue-login');
    await setUp(ned, blueSecret, '?team=blue');
    const blueList = (await ned({ url: '/api/v1/agents?team=blue' })).json();
    const blueEntry = blueList.agents.find((a: { name: string }) => a.name === 'stand-in');
    expect(blueEntry.configured.dir).toBeNull();
    expect(blueEntry.team).toMatchObject({ name: 'blue', configured: { dir: { bytes: blueSecret.length } } });
    const shared = await mel({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'blues', repo, agent: 'stand-in', prompt: 'hi', team: 'blue' },
    });
    expect(shared.statusCode, shared.body).toBe(201);
    const blueSees = await seen(core, 'blues');
    expect(blueSees).toContain(blueSecret);
    expect(blueSees).not.toContain(melSecret);
    expect(blueSees).not.toContain(adminSecret);
    // ola's team has none, nor has she: refused, whatever blue and the admin have.
    const green = await ola({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'greens', repo, agent: 'stand-in', prompt: 'hi', team: 'green' },
    });
    expect(green.statusCode, green.body).toBe(400);
    expect(green.json().detail).toContain('no credentials set up');
    // mel's own session still has hers after a restart (the team's never replace them).
    expect((await mel({ method: 'POST', url: '/api/v1/sessions/mels/restart' })).statusCode).toBe(200);
    expect(await seen(core, 'mels')).toContain(melSecret);

    // Removing is per owner too: mel's removal leaves the admin's.
    expect((await mel({ method: 'DELETE', url: '/api/v1/agents/stand-in/credentials' })).statusCode).toBe(
      204,
    );
    const after = (await admin({ url: '/api/v1/agents' })).json();
    expect(after.agents.find((a: { name: string }) => a.name === 'stand-in').configured.dir).not.toBeNull();
  });

  it("the host's credentials (set on the unix socket) reach an admin's own sessions, never a member's or a team's", async () => {
    const { core, app } = await server();
    const repo = makeRepo();
    const hostSecret = uniqueSecret('host-login');
    // As `berth auth setup` on the machine itself stores them.
    await core.agents.credentials.put('stand-in', {
      dir: await tarOf({ 'creds.json': hostSecret }),
      keys: { STAND_IN_KEY: hostSecret },
    });
    const admin = await as(core, app, 'root2', 'admin');
    const mia = await as(core, app, 'mia');
    expect((await admin({ method: 'POST', url: '/api/v1/teams', payload: { name: 'red' } })).statusCode).toBe(
      201,
    );
    const joined = await admin({
      method: 'POST',
      url: '/api/v1/teams/red/members',
      payload: { username: 'mia' },
    });
    expect(joined.statusCode).toBe(200);
    expect(
      (await admin({ method: 'POST', url: '/api/v1/teams/red/members', payload: { username: 'root2' } }))
        .statusCode,
    ).toBe(200);

    // The machine's admin on the dashboard: their own session works with what the host set up.
    const own = await admin({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'admins', repo, agent: 'stand-in', prompt: 'hi' },
    });
    expect(own.statusCode, own.body).toBe(201);
    expect(await seen(core, 'admins')).toContain(hostSecret);
    // A member's, or the admin's own for a team the member can open: refused, nothing of the host's.
    for (const [call, payload] of [
      [mia, { name: 'mias', repo, agent: 'stand-in', prompt: 'hi' }],
      [admin, { name: 'reds', repo, agent: 'stand-in', prompt: 'hi', team: 'red' }],
    ] as const) {
      const r = await call({ method: 'POST', url: '/api/v1/sessions', payload });
      expect(r.statusCode, r.body).toBe(400);
      expect(r.json().detail).toContain('no credentials set up');
      expect(r.body).not.toContain(hostSecret);
    }
  });
});
