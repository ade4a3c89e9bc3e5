// The server side of the socket is a FakeWebSocket (the seam); timers are vitest's fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { asWebSocket, FakeWebSocket } from '../test/fake-web-socket';
import { EventStream, type LogFollower } from './event-stream';

const hello = (ws: FakeWebSocket) => {
  ws.open();
  ws.receive({ type: 'hello', seq: 1, version: 'test' });
};

const follower = (): LogFollower & { log: string[] } => {
  const log: string[] = [];
  return {
    log,
    onReset: () => log.push('reset'),
    onReady: () => log.push('ready'),
    onLines: (stream, lines) => log.push(`${stream}:${lines.join('|')}`),
    onEnded: (m) => log.push(`ended:${m}`),
    onError: (p) => log.push(`error:${p.code}`),
  };
};

describe('EventStream', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    FakeWebSocket.reset();
  });
  afterEach(() => vi.useRealTimers());

  const make = (onAuthEnded = () => undefined) =>
    new EventStream({ url: 'ws://x/api/v1/events', WebSocket: asWebSocket, random: () => 0, onAuthEnded });

  it('reconnects with a doubling backoff, and starts over after a hello', () => {
    const stream = make();
    stream.start();
    expect(stream.state).toBe('connecting');
    FakeWebSocket.latest().close(1006);
    expect(stream.state).toBe('reconnecting');
    // random() = 0 takes half of each step: 250 ms, then 500 ms, then 1 s.
    vi.advanceTimersByTime(249);
    expect(FakeWebSocket.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.all).toHaveLength(2);
    FakeWebSocket.latest().close(1006);
    vi.advanceTimersByTime(499);
    expect(FakeWebSocket.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.all).toHaveLength(3);
    hello(FakeWebSocket.latest());
    expect(stream.state).toBe('open');
    expect(stream.generation).toBe(1);
    FakeWebSocket.latest().close(1001);
    vi.advanceTimersByTime(250);
    expect(FakeWebSocket.all).toHaveLength(4);
  });

  it('caps the backoff', () => {
    const stream = new EventStream({
      url: 'ws://x',
      WebSocket: asWebSocket,
      random: () => 1,
      baseDelayMs: 1000,
      maxDelayMs: 4000,
    });
    stream.start();
    for (let i = 0; i < 6; i++) {
      FakeWebSocket.latest().close(1006);
      vi.advanceTimersByTime(4000);
    }
    expect(FakeWebSocket.all).toHaveLength(7);
  });

  it('hands frames to listeners and counts connections', () => {
    const stream = make();
    const frames: string[] = [];
    stream.onFrame((f) => frames.push(f.type));
    stream.start();
    hello(FakeWebSocket.latest());
    FakeWebSocket.latest().receive({ type: 'session.deleted', seq: 2, id: 'a', name: 'a' });
    FakeWebSocket.latest().receive('not json');
    expect(frames).toEqual(['hello', 'session.deleted']);
  });

  it('stops for good when the server revokes the login (4401)', () => {
    const ended = vi.fn();
    const stream = make(ended);
    stream.start();
    hello(FakeWebSocket.latest());
    FakeWebSocket.latest().close(4401);
    vi.advanceTimersByTime(60_000);
    expect(ended).toHaveBeenCalledOnce();
    expect(stream.state).toBe('closed');
    expect(FakeWebSocket.all).toHaveLength(1);
  });

  it('does not reconnect after stop()', () => {
    const stream = make();
    stream.start();
    stream.stop();
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.all).toHaveLength(1);
    expect(stream.state).toBe('closed');
  });

  it('follows logs: subscribes on each connection and routes lines, acks, ends and errors', () => {
    const stream = make();
    const f = follower();
    const stop = stream.followLogs('api', 50, f);
    stream.start();
    const ws = FakeWebSocket.latest();
    hello(ws);
    const sub = ws.sentJson()[0] as { id: number };
    expect(sub).toEqual({ type: 'subscribe.logs', session: 'api', tail: 50, id: sub.id });
    const ref = { id: 'id-api', name: 'api' };
    ws.receive({ type: 'ack', seq: 2, request: 'subscribe.logs', session: ref, id: sub.id });
    ws.receive({ type: 'logs.stream', seq: 3, session: ref, stream: 'stdout', lines: ['a', 'b'] });
    ws.receive({
      type: 'logs.stream',
      seq: 4,
      session: { id: 'o', name: 'other' },
      stream: 'stdout',
      lines: ['x'],
    });
    ws.receive({ type: 'notice', seq: 5, code: 'logs.ended', message: 'stopped', session: ref });
    ws.receive({
      type: 'error',
      seq: 6,
      id: sub.id,
      problem: { type: 't', title: 't', status: 404, code: 'not_found', detail: 'gone' },
    });
    expect(f.log).toEqual(['reset', 'ready', 'stdout:a|b', 'ended:stopped', 'error:not_found']);

    ws.close(1006);
    vi.advanceTimersByTime(250);
    hello(FakeWebSocket.latest());
    expect(FakeWebSocket.latest().sentJson()).toEqual([
      expect.objectContaining({ type: 'subscribe.logs', session: 'api', tail: 50 }),
    ]);
    stop();
    expect(FakeWebSocket.latest().sentJson().at(-1)).toEqual({ type: 'unsubscribe.logs', session: 'api' });
  });
});
