import { BERTH_VERSION, type ClientMessage, EVENTS_MAX_PAYLOAD, type Problem } from '@berth/api';
import { type Core, LimitReached, type LogChunk, NotFound, type SessionEvent } from '@berth/core';
import type { WebSocket } from '@fastify/websocket';
import type { FastifyBaseLogger } from 'fastify';
import { memberEventBody } from '../host-paths.js';
import { problem, toProblem } from '../problems.js';
import { envRedactedEventBody } from '../session-env.js';
import { cachedPayload, checkMessage, type Payload, requestIdOf, sessionIdOf } from './frames.js';
import { LineSplitter } from './log-lines.js';
import { DEFAULT_OUTBOX_LIMITS, Outbox, type OutboxLimits } from './outbox.js';
import type { Visibility } from './visibility.js';

export interface EventsLimits extends OutboxLimits {
  maxSessionSubscriptions: number;
  maxLogFollows: number;
  /** Client messages received and not yet answered. */
  maxPendingMessages: number;
}

export const DEFAULT_EVENTS_LIMITS: EventsLimits = {
  ...DEFAULT_OUTBOX_LIMITS,
  maxSessionSubscriptions: 1000,
  maxLogFollows: 16,
  maxPendingMessages: 64,
};

const DEFAULT_LOG_TAIL = 100;
/** A follow that ended while its session still looks running is tried again after this long. */
const RESUME_CHECK_MS = 500;

type SessionRef = { id: string; name: string };

interface LogFollow {
  session: SessionRef;
  abort: AbortController;
  /** False once the engine ended the stream (the container stopped); true again when resumed. */
  running: boolean;
}

/** One client of the events endpoint: its subscriptions, log follows and outbox. */
export class EventConnection {
  private readonly outbox: Outbox;
  /** Sessions this client narrowed to, id → name; empty means every session. */
  private readonly sessions = new Map<string, string>();
  private readonly follows = new Map<string, LogFollow>();
  private unsubscribe: () => void = () => {};
  private visibility!: Visibility;
  /** Client messages, one at a time; the first link is the connection's own set-up. */
  private ordered: Promise<void>;
  private pending = 0;
  private closed = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly core: Core,
    visibility: Promise<Visibility>,
    private readonly limits: EventsLimits,
    private readonly log: FastifyBaseLogger,
  ) {
    this.outbox = new Outbox(socket, limits, (dropped) =>
      log.info({ dropped }, 'closing an events client that fell behind for too long'),
    );
    // Listeners first, synchronously: ws does not keep messages that arrive before they exist.
    socket.on('message', (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    socket.on('close', () => this.dispose());
    this.ordered = visibility.then(
      (v) => {
        this.visibility = v;
        if (this.closed) return v.dispose();
        this.unsubscribe = core.events.subscribe((e) => this.onEvent(e));
        this.outbox.send('hello', JSON.stringify({ version: BERTH_VERSION } satisfies Payload<'hello'>));
      },
      (err) => {
        log.error({ err }, 'could not open an events stream');
        socket.close(1011, 'could not open the event stream');
        this.dispose();
      },
    );
  }

  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.visibility?.dispose();
    this.outbox.dispose();
    for (const f of this.follows.values()) f.abort.abort();
    this.follows.clear();
  }

  /** Runs inside the publisher's call: must never throw and never wait. */
  private onEvent(e: SessionEvent): void {
    try {
      // First, and for every event: it also remembers what each session id was to this client.
      if (!this.visibility.allows(e)) return;
      const id = sessionIdOf(e);
      if (id !== null) {
        if (e.type === 'session.status.changed' && e.to === 'running') this.resumeFollow(id);
        if (e.type === 'session.deleted') this.stopFollow(id);
        if (this.sessions.size > 0 && !this.sessions.has(id)) return;
      }
      const body = cachedPayload(e);
      if (body === null) return;
      const shown = this.visibility.seesHostPaths ? body : memberEventBody(e, body);
      const hideEnv = 'session' in e && !this.visibility.seesEnvOf(e.session);
      this.outbox.send(e.type, hideEnv ? envRedactedEventBody(e, shown) : shown);
    } catch (err) {
      this.log.warn({ err }, 'could not pass an event to an events client');
    }
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (isBinary) {
      this.fail(problem('invalid_input', 'binary frames are not understood here: send JSON text frames'));
      return;
    }
    if (data.length > EVENTS_MAX_PAYLOAD) {
      this.socket.close(1009, 'message too big');
      return;
    }
    let msg: unknown;
    try {
      msg = JSON.parse(data.toString('utf8'));
    } catch {
      this.fail(
        problem(
          'invalid_input',
          'a message must be JSON, e.g. {"type":"subscribe.session","session":"NAME"}',
        ),
      );
      return;
    }
    const id = requestIdOf(msg);
    const checked = checkMessage(msg);
    if ('problem' in checked) {
      this.fail(checked.problem, id);
      return;
    }
    if (this.pending >= this.limits.maxPendingMessages) {
      this.fail(
        problem(
          'limit_reached',
          `${this.pending} messages are still waiting for an answer`,
          'wait for their acks before sending more',
        ),
        id,
      );
      return;
    }
    // One at a time, in the order sent: a subscribe and its unsubscribe never swap.
    this.pending++;
    this.ordered = this.ordered
      .then(() => this.handle(checked.msg))
      .catch((err) => this.fail(toProblem(err), id))
      .finally(() => {
        this.pending--;
      });
  }

  private async handle(msg: ClientMessage): Promise<void> {
    if (this.closed) return;
    switch (msg.type) {
      case 'subscribe.session': {
        const s = await this.visibility.get(msg.session);
        if (!this.sessions.has(s.id) && this.sessions.size >= this.limits.maxSessionSubscriptions) {
          throw new LimitReached(`this client already follows ${this.sessions.size} sessions`, {
            hint: 'unsubscribe from some, or subscribe to none to get every session',
          });
        }
        this.sessions.set(s.id, s.name);
        return this.ack(msg, s);
      }
      case 'unsubscribe.session': {
        const s = await this.known(
          msg.session,
          [...this.sessions].map(([id, name]) => ({ id, name })),
        );
        this.sessions.delete(s.id);
        return this.ack(msg, s);
      }
      case 'subscribe.logs': {
        const s = await this.visibility.get(msg.session);
        if (!this.follows.has(s.id)) {
          if (this.follows.size >= this.limits.maxLogFollows) {
            throw new LimitReached(`this client already follows the logs of ${this.follows.size} sessions`, {
              hint: 'unsubscribe.logs from one first',
            });
          }
          await this.startFollow({ id: s.id, name: s.name }, msg.tail ?? DEFAULT_LOG_TAIL);
        }
        return this.ack(msg, s);
      }
      case 'unsubscribe.logs': {
        const s = await this.known(
          msg.session,
          [...this.follows.values()].map((f) => f.session),
        );
        this.stopFollow(s.id);
        return this.ack(msg, s);
      }
    }
  }

  /** A session this client holds (even one deleted since), else the store's. */
  private async known(ref: string, held: SessionRef[]): Promise<SessionRef> {
    const mine = held.find((h) => h.id === ref || h.name === ref);
    if (mine) return mine;
    const s = await this.visibility.get(ref);
    return { id: s.id, name: s.name };
  }

  private ack(msg: ClientMessage, s: SessionRef): void {
    const body: Payload<'ack'> = {
      request: msg.type,
      session: { id: s.id, name: s.name },
      ...(msg.id !== undefined ? { id: msg.id } : {}),
    };
    this.outbox.send('ack', JSON.stringify(body));
  }

  private fail(p: Problem, id?: string | number): void {
    const body: Payload<'error'> = { problem: p, ...(id !== undefined ? { id } : {}) };
    this.outbox.send('error', JSON.stringify(body));
  }

  /**
   * The service finds names before ids, so an id could name another session whose name is that
   * id; the store finds it by id alone, and its own (unique) name is the ref that cannot mislead.
   */
  private async refOf(id: string): Promise<string> {
    const s = await this.core.store.get(id);
    if (!s) throw new NotFound('that session is gone', { hint: 'list sessions with `berth ls`' });
    return s.name;
  }

  private async startFollow(session: SessionRef, tail: number): Promise<void> {
    const abort = new AbortController();
    const chunks = await this.core.service.logs(await this.refOf(session.id), {
      follow: true,
      tail,
      signal: abort.signal,
    });
    const follow: LogFollow = { session, abort, running: true };
    this.follows.set(session.id, follow);
    void this.pump(follow, chunks);
  }

  private stopFollow(id: string): void {
    this.follows.get(id)?.abort.abort();
    this.follows.delete(id);
  }

  /** A follow the engine ended picks up again, with new lines only, once its session runs. */
  private resumeFollow(id: string): void {
    const f = this.follows.get(id);
    if (!f || f.running || f.abort.signal.aborted) return;
    f.running = true;
    this.ordered = this.ordered.then(async () => {
      try {
        if (f.abort.signal.aborted) return;
        const chunks = await this.core.service.logs(await this.refOf(id), {
          follow: true,
          tail: 0,
          signal: f.abort.signal,
        });
        void this.pump(f, chunks);
      } catch (err) {
        f.running = false;
        this.fail(toProblem(err));
      }
    });
  }

  private async pump(f: LogFollow, chunks: AsyncIterable<LogChunk>): Promise<void> {
    const splitters = { stdout: new LineSplitter(), stderr: new LineSplitter() };
    const streams = ['stdout', 'stderr'] as const;
    const emit = (stream: 'stdout' | 'stderr', lines: string[]) => {
      if (lines.length === 0 || f.abort.signal.aborted) return;
      const body: Payload<'logs.stream'> = { session: f.session, stream, lines };
      this.outbox.send('logs.stream', JSON.stringify(body));
    };
    try {
      for await (const c of chunks) {
        if (f.abort.signal.aborted) break;
        emit(c.stream, splitters[c.stream].push(c.data));
      }
    } catch (err) {
      if (!f.abort.signal.aborted) this.fail(toProblem(err));
    }
    if (f.abort.signal.aborted) return;
    for (const s of streams) emit(s, splitters[s].end());
    f.running = false;
    const body: Payload<'notice'> = {
      code: 'logs.ended',
      message: `the logs of '${f.session.name}' ended because its container stopped; they resume when it runs again`,
      session: f.session,
    };
    this.outbox.send('notice', JSON.stringify(body));
    // A restart brings no status change: look again shortly, and resume if it runs.
    setTimeout(() => {
      if (f.running || f.abort.signal.aborted) return;
      this.core.service.get(f.session.id).then(
        (s) => s.status === 'running' && this.resumeFollow(s.id),
        () => undefined,
      );
    }, RESUME_CHECK_MS).unref();
  }
}
