import type { ClientMessage, Problem, ServerFrame } from './types';

export type ConnectionState = 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Close code the server uses when the login or token that opened the socket was revoked. */
export const CLOSE_REVOKED = 4401;

export interface LogFollower {
  /** A new connection: the server sends the tail again, so drop what was shown. */
  onReset(): void;
  /** The server follows the logs now (its ack); lines may have come already. */
  onReady(): void;
  onLines(stream: 'stdout' | 'stderr', lines: string[]): void;
  onEnded(message: string): void;
  onError(problem: Problem): void;
}

export interface EventStreamOptions {
  url: string;
  /** The seam tests fake; the browser's own by default. */
  WebSocket?: typeof WebSocket;
  /** Delay before the first retry; it doubles on each failure up to `maxDelayMs`, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  random?: () => number;
  /** The server closed the socket because the login ended: no point retrying. */
  onAuthEnded?: () => void;
}

interface Follow {
  session: string;
  tail: number;
  follower: LogFollower;
  requestId: number;
}

/**
 * The events WebSocket (`/api/v1/events`), kept open: it reconnects with exponential backoff,
 * re-subscribes log follows on every new connection, and counts connections (`generation`) so a
 * view can reload what it may have missed while disconnected.
 */
export class EventStream {
  private socket: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private nextRequestId = 1;
  private readonly frameListeners = new Set<(frame: ServerFrame) => void>();
  private readonly stateListeners = new Set<() => void>();
  private readonly follows = new Set<Follow>();
  private readonly WS: typeof WebSocket;
  state: ConnectionState = 'closed';
  /** How many connections said hello; a rise after the first means frames may have been missed. */
  generation = 0;

  constructor(private readonly opts: EventStreamOptions) {
    this.WS = opts.WebSocket ?? globalThis.WebSocket;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const s = this.socket;
    this.socket = null;
    s?.close(1000, 'done');
    this.setState('closed');
  }

  onFrame(listener: (frame: ServerFrame) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /** Told when `state` or `generation` changes. */
  onStateChange(listener: () => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Follows a session's output (the last `tail` lines first) until the returned function is called. */
  followLogs(session: string, tail: number, follower: LogFollower): () => void {
    const follow: Follow = { session, tail, follower, requestId: 0 };
    this.follows.add(follow);
    if (this.state === 'open') this.subscribe(follow);
    return () => {
      this.follows.delete(follow);
      this.send({ type: 'unsubscribe.logs', session });
    };
  }

  private send(msg: ClientMessage): void {
    if (this.socket?.readyState === 1) this.socket.send(JSON.stringify(msg));
  }

  private subscribe(follow: Follow): void {
    follow.requestId = this.nextRequestId++;
    this.send({ type: 'subscribe.logs', session: follow.session, tail: follow.tail, id: follow.requestId });
  }

  private connect(): void {
    this.setState(this.attempt === 0 ? 'connecting' : 'reconnecting');
    let ws: WebSocket;
    try {
      ws = new this.WS(this.opts.url);
    } catch {
      this.retry();
      return;
    }
    this.socket = ws;
    ws.onmessage = (e: MessageEvent) => {
      if (this.socket !== ws || typeof e.data !== 'string') return;
      let frame: ServerFrame;
      try {
        frame = JSON.parse(e.data) as ServerFrame;
      } catch {
        return;
      }
      this.dispatch(frame);
    };
    ws.onclose = (e: CloseEvent) => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (this.stopped) return;
      if (e.code === CLOSE_REVOKED) {
        this.stopped = true;
        this.setState('closed');
        this.opts.onAuthEnded?.();
        return;
      }
      this.retry();
    };
  }

  private retry(): void {
    const base = this.opts.baseDelayMs ?? 500;
    const max = this.opts.maxDelayMs ?? 30_000;
    const jitter = 0.5 + (this.opts.random ?? Math.random)() / 2;
    const delay = Math.min(max, base * 2 ** this.attempt) * jitter;
    this.attempt++;
    this.setState('reconnecting');
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private dispatch(frame: ServerFrame): void {
    if (frame.type === 'hello') {
      this.attempt = 0;
      this.generation++;
      this.state = 'open';
      this.notify();
      for (const f of this.follows) {
        f.follower.onReset();
        this.subscribe(f);
      }
    } else if (frame.type === 'logs.stream') {
      for (const f of this.followsOf(frame.session)) f.follower.onLines(frame.stream, frame.lines);
    } else if (frame.type === 'notice' && frame.code === 'logs.ended' && frame.session) {
      for (const f of this.followsOf(frame.session)) f.follower.onEnded(frame.message);
    } else if (frame.type === 'ack' && frame.request === 'subscribe.logs') {
      for (const f of this.follows) if (f.requestId === frame.id) f.follower.onReady();
    } else if (frame.type === 'error' && frame.id !== undefined) {
      for (const f of this.follows) if (f.requestId === frame.id) f.follower.onError(frame.problem);
    }
    for (const l of [...this.frameListeners]) l(frame);
  }

  private followsOf(session: { id: string; name: string }): Follow[] {
    return [...this.follows].filter((f) => f.session === session.name || f.session === session.id);
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.notify();
  }

  private notify(): void {
    for (const l of [...this.stateListeners]) l();
  }
}
