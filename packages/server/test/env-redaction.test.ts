import type { AddressInfo } from 'node:net';
import { ServerFrame } from '@berth/api';
import { BerthClient, type Endpoint } from '@berth/api/node';
import { makeRepo } from '@berth/testkit';
import { listenLocal, makeToken, makeUser, type TestServer, testServer } from '@berth/testkit/server';
import { Compile } from 'typebox/compile';
import { describe, expect, it, onTestFinished } from 'vitest';

const checkFrame = Compile(ServerFrame);
const SECRET = 'postgres://u:s3cr3t-pw@db.internal:5432/app';

async function as(t: TestServer, username: string, role: 'admin' | 'member' = 'member') {
  const u = await makeUser(t.core, username, role);
  const { token } = await makeToken(t.core, u.id);
  const call = (o: { method?: string; url: string; payload?: object }) =>
    t.app.inject({
      method: (o.method ?? 'GET') as 'GET',
      url: o.url,
      payload: o.payload,
      headers: { authorization: `Bearer ${token}` },
    });
  return { call, token };
}

/** An events client keeping every frame it gets (each checked against the contract), once it said hello. */
async function watch(at: Endpoint) {
  const ws = new BerthClient(at).events();
  onTestFinished(() => ws.terminate());
  const frames: ServerFrame[] = [];
  let wake = () => {};
  ws.on('message', (data: Buffer) => {
    const f = JSON.parse(data.toString('utf8')) as unknown;
    expect(checkFrame.Check(f), JSON.stringify(f).slice(0, 300)).toBe(true);
    frames.push(f as ServerFrame);
    wake();
  });
  const seen = async (ok: (f: ServerFrame) => boolean) => {
    const deadline = Date.now() + 5000;
    while (!frames.some(ok)) {
      if (Date.now() > deadline) throw new Error(`no such frame; got ${frames.map((f) => f.type)}`);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, 100);
      });
    }
  };
  await seen((f) => f.type === 'hello');
  return { frames, seen };
}

describe("a session's env values are its owner's (security review F19)", () => {
  it('a teammate and a non-owning admin see the keys only, in GET, list, health, an action and events; the owner and the host user see the values', async () => {
    const t = await testServer();
    const repo = makeRepo();
    const amy = await as(t, 'amy');
    const bob = await as(t, 'bob');
    const ada = await as(t, 'ada', 'admin');
    expect(
      (await t.inject({ method: 'POST', url: '/api/v1/teams', payload: { name: 'red' } })).statusCode,
    ).toBe(201);
    for (const username of ['amy', 'bob']) {
      const r = await t.inject({ method: 'POST', url: '/api/v1/teams/red/members', payload: { username } });
      expect(r.statusCode).toBe(200);
    }
    const made = await amy.call({
      method: 'POST',
      url: '/api/v1/sessions',
      payload: { name: 'db', repo, team: 'red', env: { DATABASE_URL: SECRET, MODE: 'dev' } },
    });
    expect(made.statusCode).toBe(201);
    expect(made.json().env).toEqual({ DATABASE_URL: SECRET, MODE: 'dev' });

    // The owner reads back what they passed.
    expect((await amy.call({ url: '/api/v1/sessions/db' })).json().env).toEqual({
      DATABASE_URL: SECRET,
      MODE: 'dev',
    });
    expect((await amy.call({ url: '/api/v1/sessions' })).json().sessions[0].env.DATABASE_URL).toBe(SECRET);

    // A teammate, and an admin who does not own it: the names, no values.
    const hidden = { DATABASE_URL: null, MODE: null };
    for (const who of [bob, ada]) {
      const answers = {
        get: (await who.call({ url: '/api/v1/sessions/db' })).json(),
        list: (await who.call({ url: '/api/v1/sessions' })).json(),
        health: (await who.call({ url: '/api/v1/sessions/db/health' })).json(),
        paused: (await who.call({ method: 'POST', url: '/api/v1/sessions/db/pause' })).json(),
        resumed: (await who.call({ method: 'POST', url: '/api/v1/sessions/db/resume' })).json(),
      };
      expect(answers.get.env).toEqual(hidden);
      expect(answers.list.sessions.find((s: { name: string }) => s.name === 'db').env).toEqual(hidden);
      expect(answers.health.session.env).toEqual(hidden);
      expect(answers.paused.env).toEqual(hidden);
      expect(answers.resumed.env).toEqual(hidden);
      expect(JSON.stringify(answers)).not.toContain('s3cr3t');
    }

    // The host's owner on the unix socket runs the host: it sees them.
    const local = new BerthClient({ socketPath: await listenLocal(t.app, t.core) });
    expect((await local.getSession('db')).env.DATABASE_URL).toBe(SECRET);

    // The events WebSocket: the same session in an event frame.
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    const watchers = {
      amy: await watch({ url, token: amy.token }),
      bob: await watch({ url, token: bob.token }),
      ada: await watch({ url, token: ada.token }),
    };
    const described = await amy.call({
      method: 'PATCH',
      url: '/api/v1/sessions/db',
      payload: { description: 'now described' },
    });
    expect(described.statusCode).toBe(200);
    const updated = (f: ServerFrame) =>
      f.type === 'session.updated' && f.session.name === 'db' && f.session.description === 'now described';
    for (const w of Object.values(watchers)) await w.seen(updated);
    const envIn = (w: { frames: ServerFrame[] }) => {
      const f = w.frames.find(updated);
      return f?.type === 'session.updated' ? f.session.env : undefined;
    };
    expect(envIn(watchers.amy)).toEqual({ DATABASE_URL: SECRET, MODE: 'dev' });
    expect(envIn(watchers.bob)).toEqual(hidden);
    expect(envIn(watchers.ada)).toEqual(hidden);
    expect(JSON.stringify(watchers.bob.frames)).not.toContain('s3cr3t');
    expect(JSON.stringify(watchers.ada.frames)).not.toContain('s3cr3t');
  });
});
