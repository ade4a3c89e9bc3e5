import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { type ClientMessage, ServerFrame, type ServerFrameOf, type ServerFrameType } from '@berth/api';
import { BerthClient, type Endpoint } from '@berth/api/node';
import type { Core, Session } from '@berth/core';
import { docker, makeRepo, testCore } from '@berth/testkit';
import { listenLocal, makeToken, makeUser, testServer } from '@berth/testkit/server';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { Compile } from 'typebox/compile';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type WebSocket from 'ws';
import { DEFAULT_EVENTS_LIMITS, type EventsLimits } from '../src/events/connection.js';
import { MAX_LINE_CHARS } from '../src/events/log-lines.js';
import { eventRoutes } from '../src/routes/events.js';

const checkFrame = Compile(ServerFrame);

/** A client of the events endpoint that keeps every frame it gets and checks each against the contract. */
class EventsClient {
  readonly frames: ServerFrame[] = [];
  readonly invalid: unknown[] = [];
  private readonly waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString('utf8')) as unknown;
      if (checkFrame.Check(frame)) this.frames.push(frame);
      else this.invalid.push(frame);
      for (const w of this.waiters.splice(0)) w();
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w();
    });
  }

  send(msg: ClientMessage | Record<string, unknown>): void {
    this.ws.send(JSON.stringify(msg));
  }

  of<T extends ServerFrameType>(type: T): ServerFrameOf<T>[] {
    return this.frames.filter((f): f is ServerFrameOf<T> => f.type === type);
  }

  /** The first frame (received so far or later) of `type` that `ok` accepts. */
  async next<T extends ServerFrameType>(
    type: T,
    ok: (f: ServerFrameOf<T>) => boolean = () => true,
    ms = 5000,
  ): Promise<ServerFrameOf<T>> {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = this.of(type).find(ok);
      if (hit) return hit;
      if (this.closed) throw new Error(`closed (${this.closed.code}) before a ${type} frame came`);
      const left = deadline - Date.now();
      if (left <= 0) {
        const counts = new Map<string, number>();
        for (const f of this.frames) counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
        const seen = [...counts].map(([t, n]) => `${t} x${n}`).join(', ');
        throw new Error(`no matching ${type} frame within ${ms} ms; got: ${seen}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends a message and waits for the ack or error that echoes its id. */
  async request(msg: ClientMessage): Promise<ServerFrameOf<'ack'> | ServerFrameOf<'error'>> {
    const id = `r${Math.random().toString(36).slice(2)}`;
    this.send({ ...msg, id });
    return vi.waitFor(
      () => {
        const hit = this.frames.find(
          (f): f is ServerFrameOf<'ack'> | ServerFrameOf<'error'> =>
            (f.type === 'ack' || f.type === 'error') && f.id === id,
        );
        if (!hit) throw new Error(`no answer to ${msg.type}`);
        return hit;
      },
      { timeout: 5000, interval: 5 },
    );
  }

  /** The socket underneath, to stop reading as a stalled client would. */
  get rawSocket(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }
}

async function connect(at: string | Endpoint): Promise<EventsClient> {
  const endpoint = typeof at === 'string' ? { socketPath: at } : at;
  const client = new EventsClient(new BerthClient(endpoint).events());
  onTestFinished(() => client.ws.terminate());
  // The hello frame says the server is subscribed to the bus: nothing published after it is missed.
  await client.next('hello');
  return client;
}

async function served(
  opts: { watch?: boolean } = {},
): Promise<{ core: Core; app: FastifyInstance; socketPath: string }> {
  const core = await testCore();
  if (opts.watch) await core.startWatching();
  const { app } = await testServer(core);
  const socketPath = await listenLocal(app, core);
  return { core, app, socketPath };
}

/** An event whose session carries `pad` bytes, to fill buffers quickly. */
function bulky(template: Session, i: number, pad: string): { type: 'session.updated'; session: Session } {
  return {
    type: 'session.updated',
    session: {
      ...template,
      name: `${template.name}` as Session['name'],
      statusReason: `${i}`,
      env: { PAD: pad },
    },
  };
}

describe('events WebSocket', () => {
  it('streams session.created and session.status.changed for a create and a pause, with rising seq', async () => {
    const { core, socketPath } = await served();
    const c = await connect(socketPath);
    const s = await core.service.create({ name: 'alpha', repo: makeRepo() });
    await core.service.pause('alpha');

    const created = await c.next('session.created', (f) => f.session.name === 'alpha');
    expect(created.session).toMatchObject({ id: s.id, status: 'creating' });
    await c.next('session.status.changed', (f) => f.session.id === s.id && f.to === 'running');
    const paused = await c.next('session.status.changed', (f) => f.session.id === s.id && f.to === 'paused');
    expect(paused).toMatchObject({ from: 'running', to: 'paused', reason: null });
    expect(paused.session.status).toBe('paused');
    expect(c.frames.map((f) => f.seq)).toEqual(c.frames.map((_, i) => i + 1));
    expect(c.invalid).toEqual([]);
  });

  it('a docker kill of a session container arrives as session.status.changed to stopped within a second', async () => {
    const { core, socketPath } = await served({ watch: true });
    const s = await core.service.create({ name: 'victim', repo: makeRepo() });
    const c = await connect(socketPath);
    const killedAt = Date.now();
    await docker.getContainer(s.containerId!).kill();
    const changed = await c.next(
      'session.status.changed',
      (f) => f.session.id === s.id && f.to === 'stopped',
      1000,
    );
    expect(Date.now() - killedAt).toBeLessThan(1000);
    expect(changed).toMatchObject({
      from: 'running',
      to: 'stopped',
      reason: expect.stringMatching(/code 137/),
    });
    const health = await c.next('container.health', (f) => f.session.id === s.id);
    expect(health).toMatchObject({
      state: 'exited',
      exitCode: 137,
      oomKilled: false,
      containerId: s.containerId,
    });
    expect(health.seq).toBeGreaterThan(changed.seq);
  });

  it('container.health says when the OOM killer struck and when a container vanished', async () => {
    const { core, socketPath } = await served({ watch: true });
    const s = await core.service.create({ name: 'hungry', repo: makeRepo(), memoryBytes: 16 * 1024 * 1024 });
    const gone = await core.service.create({ name: 'gone', repo: makeRepo() });
    const c = await connect(socketPath);
    // A process that wants far more than 16 MiB: the kernel kills it inside the container's cgroup.
    const hog = await core.service.exec('hungry', [
      'sh',
      '-c',
      'a=$(head -c 200000000 /dev/zero | tr "\\0" x)',
    ]);
    expect(hog.exitCode).toBe(137);
    await docker.getContainer(s.containerId!).kill();
    const oom = await c.next('container.health', (f) => f.session.id === s.id);
    expect(oom).toMatchObject({ state: 'exited', oomKilled: true, exitCode: 137 });
    expect(oom.reason).toMatch(/out of memory/);

    await docker.getContainer(gone.containerId!).remove({ force: true });
    const vanished = await c.next(
      'container.health',
      (f) => f.session.id === gone.id && f.state === 'vanished',
    );
    expect(vanished.session.status).toBe('failed');
    await c.next('session.status.changed', (f) => f.session.id === gone.id && f.to === 'failed');
  });

  it('subscribe.session narrows the stream to the sessions asked for; with none, a client gets all', async () => {
    const { core, socketPath } = await served();
    const repo = makeRepo();
    const a = await core.service.create({ name: 'a', repo });
    const b = await core.service.create({ name: 'b', repo });
    const narrow = await connect(socketPath);
    const all = await connect(socketPath);
    const ack = await narrow.request({ type: 'subscribe.session', session: 'a' });
    expect(ack).toMatchObject({
      type: 'ack',
      request: 'subscribe.session',
      session: { id: a.id, name: 'a' },
    });
    // By id works as well as by name, and twice is harmless.
    expect((await narrow.request({ type: 'subscribe.session', session: a.id })).type).toBe('ack');

    await core.service.pause('b');
    await core.service.pause('a');
    await narrow.next('session.status.changed', (f) => f.session.id === a.id && f.to === 'paused');
    await all.next('session.status.changed', (f) => f.session.id === a.id && f.to === 'paused');
    await all.next('session.status.changed', (f) => f.session.id === b.id && f.to === 'paused');
    // The bus delivers in order: b's pause, had it been sent, would have come before a's.
    expect(narrow.of('session.status.changed').map((f) => f.session.name)).toEqual(['a']);

    expect((await narrow.request({ type: 'unsubscribe.session', session: 'a' })).type).toBe('ack');
    await core.service.resume('b');
    await narrow.next('session.status.changed', (f) => f.session.id === b.id && f.to === 'running');
  });

  it('subscribe.logs streams the lines a container prints, pauses over a stop, and ends on unsubscribe', async () => {
    const { core, socketPath } = await served({ watch: true });
    const s = await core.service.create({ name: 'chatty', repo: makeRepo() });
    const c = await connect(socketPath);
    const ack = await c.request({ type: 'subscribe.logs', session: 'chatty', tail: 0 });
    expect(ack).toMatchObject({ type: 'ack', request: 'subscribe.logs', session: { id: s.id } });
    // The main process is `sleep` under docker-init; what is written to pid 1's stdout is container output.
    await core.service.exec('chatty', [
      'sh',
      '-c',
      'echo "héllo from pid one" > /proc/1/fd/1; echo "to stderr" > /proc/1/fd/2',
    ]);
    const out = await c.next(
      'logs.stream',
      (f) => f.stream === 'stdout' && f.lines.includes('héllo from pid one'),
    );
    expect(out.session).toEqual({ id: s.id, name: 'chatty' });
    await c.next('logs.stream', (f) => f.stream === 'stderr' && f.lines.includes('to stderr'));
    // A 40,000-character line arrives whole from the engine's 16 KiB pieces, then is cut to size.
    await core.service.exec('chatty', [
      'sh',
      '-c',
      'head -c 40000 /dev/zero | tr "\\0" x > /proc/1/fd/1; echo > /proc/1/fd/1',
    ]);
    await c.next('logs.stream', (f) =>
      f.lines.some((l) => l.length > 0 && l.length < MAX_LINE_CHARS && /^x+$/.test(l)),
    );
    const xs = c.of('logs.stream').flatMap((f) => f.lines.filter((l) => /^x+$/.test(l)));
    expect(xs.map((l) => l.length)).toEqual([MAX_LINE_CHARS, MAX_LINE_CHARS, 40_000 - 2 * MAX_LINE_CHARS]);

    await core.service.stop('chatty');
    await c.next('notice', (f) => f.code === 'logs.ended' && f.session?.id === s.id);
    await core.service.start('chatty');
    await c.next('session.status.changed', (f) => f.session.id === s.id && f.to === 'running');
    // The follow resumes on its own once the container runs again: poll until a line gets through.
    const deadline = Date.now() + 5000;
    while (!c.of('logs.stream').some((f) => f.lines.includes('after restart')) && Date.now() < deadline) {
      await core.service.exec('chatty', ['sh', '-c', 'echo "after restart" > /proc/1/fd/1']);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(c.of('logs.stream').some((f) => f.lines.includes('after restart'))).toBe(true);

    expect((await c.request({ type: 'unsubscribe.logs', session: 'chatty' })).type).toBe('ack');
    const count = c.of('logs.stream').length;
    await core.service.exec('chatty', ['sh', '-c', 'echo "nobody hears this" > /proc/1/fd/1']);
    await new Promise((r) => setTimeout(r, 400));
    expect(c.of('logs.stream')).toHaveLength(count);
    expect(c.invalid).toEqual([]);
  });

  it('answers bad client messages with error frames and keeps the socket open', async () => {
    const { core, socketPath } = await served();
    await core.service.create({ name: 'real', repo: makeRepo() });
    const c = await connect(socketPath);
    const bad: Array<[string | Buffer, RegExp]> = [
      ['not json', /JSON/],
      ['[1,2]', /JSON object/],
      ['null', /JSON object/],
      ['{"type":"launch.missiles"}', /unknown message type/],
      ['{"session":"real"}', /unknown message type/],
      ['{"type":"constructor","session":"real"}', /unknown message type/],
      ['{"type":"subscribe.session"}', /subscribe\.session/],
      ['{"type":"subscribe.session","session":""}', /session/],
      [`{"type":"subscribe.session","session":"${'x'.repeat(200)}"}`, /session/],
      ['{"type":"subscribe.session","session":42}', /session/],
      ['{"type":"subscribe.logs","session":"real","tail":-1}', /tail/],
      ['{"type":"subscribe.logs","session":"real","tail":1.5}', /tail/],
      ['{"type":"subscribe.session","session":"real","extra":true}', /additional|extra/i],
      [Buffer.from([0xde, 0xad]), /binary/],
    ];
    for (const [msg, detail] of bad) {
      const before = c.of('error').length;
      if (Buffer.isBuffer(msg)) c.ws.send(msg, { binary: true });
      else c.ws.send(msg);
      const deadline = Date.now() + 2000;
      while (c.of('error').length === before && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 5));
      const err = c.of('error')[before];
      expect(err, String(msg)).toBeDefined();
      expect(err!.problem).toMatchObject({ code: 'invalid_input', status: 400 });
      expect(err!.problem.detail, String(msg)).toMatch(detail);
    }
    for (const type of [
      'subscribe.session',
      'subscribe.logs',
      'unsubscribe.session',
      'unsubscribe.logs',
    ] as const) {
      const missing = await c.request({ type, session: 'no-such-session' });
      expect(missing.type).toBe('error');
      expect((missing as ServerFrameOf<'error'>).problem).toMatchObject({
        code: 'not_found',
        status: 404,
        type: 'urn:berth:problem:not_found',
      });
    }
    expect(c.closed).toBeNull();
    expect((await c.request({ type: 'subscribe.session', session: 'real' })).type).toBe('ack');
    expect(c.invalid).toEqual([]);

    // Over the inbound cap (64 KiB) is the one thing that ends the connection.
    const big = await connect(socketPath);
    big.send({ type: 'subscribe.session', session: 'x'.repeat(100 * 1024) });
    await expect(big.next('hello', () => false, 3000)).rejects.toThrow(/closed \(1009\)/);
  });

  it('a member over TCP hears only of the sessions it may see, and cannot subscribe to others', async () => {
    const core = await testCore();
    const { app } = await testServer(core);
    const member = await makeUser(core, 'mia', 'member');
    const { token } = await makeToken(core, member.id);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const repo = makeRepo();
    await core.service.create({ name: 'before', repo }); // someone else's, made before the member connects
    const c = await connect({ url, token });
    const mine = await core.service.create({ name: 'mine', repo, ownerId: member.id });
    await core.service.create({ name: 'other', repo });
    await core.service.pause('other');
    await core.service.remove('before', { force: true });
    await core.service.remove('mine', { force: true });

    await c.next('session.deleted', (f) => f.id === mine.id);
    const named = c.frames.map((f) =>
      'session' in f ? (f.session?.name ?? null) : 'name' in f ? f.name : null,
    );
    expect(new Set(named.filter((n) => n !== null))).toEqual(new Set(['mine']));
    // Nor where its working copy is on the host (security review F21).
    const sessions = c.frames.flatMap((f) => ('session' in f && f.session ? [f.session] : []));
    expect(sessions.length).toBeGreaterThan(0);
    for (const s of sessions) expect(s).not.toHaveProperty('workspacePath');
    for (const type of ['subscribe.session', 'subscribe.logs'] as const) {
      const refused = await c.request({ type, session: 'other' });
      expect(refused).toMatchObject({ type: 'error', problem: { code: 'not_found' } });
    }
  });

  it('a client that never reads costs bounded memory and gets a notice of what it missed; others stay prompt', async () => {
    const { core, app, socketPath } = await served();
    const s = await core.service.create({ name: 'template', repo: makeRepo() });
    const slow = await connect(socketPath);
    const healthy = await connect(socketPath);
    slow.rawSocket.pause();

    const pad = 'x'.repeat(2048);
    const total = 20_000; // ~50 MB of frames, were they all kept
    let maxBuffered = 0;
    const sample = () => {
      for (const ws of app.websocketServer.clients) maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
    };
    // As fast as the healthy client reads (never more than ~200 frames ahead of it): the stalled
    // one must not hold anyone back.
    const floodStart = Date.now();
    for (let i = 0; i < total; i++) {
      core.events.publish(bulky(s, i, pad));
      if (i % 100 === 99) {
        sample();
        while (healthy.of('session.updated').length < i - 100) await new Promise((r) => setImmediate(r));
      }
    }
    const floodMs = Date.now() - floodStart;
    sample();
    const frameBytes = JSON.stringify(bulky(s, total, pad)).length + 64;
    expect(maxBuffered).toBeLessThanOrEqual(DEFAULT_EVENTS_LIMITS.maxBufferedBytes + frameBytes);

    // The healthy client kept up, and hears the next event at once.
    const sentAt = Date.now();
    core.events.publish({ type: 'session.deleted', id: 'marker', name: 'marker' });
    await healthy.next('session.deleted', (f) => f.id === 'marker', 1000);
    expect(Date.now() - sentAt).toBeLessThan(250);
    expect(healthy.of('notice')).toEqual([]);
    expect(healthy.of('session.updated')).toHaveLength(total);
    expect(floodMs).toBeLessThan(30_000);
    expect(slow.closed).toBeNull();

    // The stalled client reads again: what was buffered, then one notice, then live events.
    slow.rawSocket.resume();
    const notice = await slow.next('notice', (f) => f.code === 'dropped');
    expect(notice.dropped).toBeGreaterThan(total / 2);
    const got = slow.of('session.updated').length + slow.of('session.deleted').length;
    expect(got + notice.dropped!).toBe(total + 1);
    core.events.publish({ type: 'session.deleted', id: 'after', name: 'after' });
    const after = await slow.next('session.deleted', (f) => f.id === 'after', 1000);
    expect(after.seq).toBeGreaterThan(notice.seq);
    expect(slow.frames.map((f) => f.seq)).toEqual(slow.frames.map((_, i) => i + 1));
  });

  it('closes a client that stays behind too long with 1008, and unsubscribes it from the bus', async () => {
    const core = await testCore();
    const limits: Partial<EventsLimits> = { maxBehindMs: 300, maxBufferedBytes: 64 * 1024 };
    const app = Fastify();
    await app.register(websocket);
    await app.register(eventRoutes, { core, limits });
    onTestFinished(() => app.close());
    const socketPath = join(core.config.home, 'bare.sock');
    await app.listen({ path: socketPath });
    const stalled = await connect(socketPath);
    stalled.rawSocket.pause();
    const listenersBefore = listenerCount(core);

    const s = await core.service.create({ name: 'filler', repo: makeRepo() });
    const serverClosed = new Promise<void>((resolve) => {
      for (const ws of app.websocketServer.clients) ws.once('close', () => resolve());
    });
    const startedAt = Date.now();
    const pad = 'y'.repeat(4096);
    for (let i = 0; i < 2000; i++) {
      core.events.publish(bulky(s, i, pad));
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    const outcome = await Promise.race([
      serverClosed.then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('still open'), 5000)),
    ]);
    expect(outcome).toBe('closed');
    expect(Date.now() - startedAt).toBeLessThan(3000);
    expect(listenerCount(core)).toBe(listenersBefore - 1);
    // The close frame waits behind what it never read, so the client sees 1008 or, cut off, 1006.
    stalled.rawSocket.resume();
    await expect(stalled.next('hello', () => false, 3000)).rejects.toThrow(/closed \((1008|1006)\)/);
  });
});

function listenerCount(core: Core): number {
  return (core.events as unknown as { emitter: { listenerCount(e: string): number } }).emitter.listenerCount(
    'event',
  );
}
