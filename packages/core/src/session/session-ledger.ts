import type { Clock } from '../clock/clock.js';
import { NotFound } from '../errors/berth-error.js';
import type { EventBus } from '../events/event-bus.js';
import type { SessionPatch, SessionStore } from '../store/store.js';
import { KeyedLock } from './keyed-lock.js';
import { isTerminal, type Session, type SessionStatus } from './session.js';
import { assertTransition } from './state-machine.js';

/** Activity is written at most this often per session: a typing terminal must not hammer the store. */
const ACTIVITY_WRITE_MS = 5_000;
const CAP_KEY = '\0running-cap';

/**
 * The record of every session and the rules of writing it: one lock per session, the creates in
 * flight, activity, and each change published as it is stored. Everything that changes a session
 * (verbs, the reconciler, the idle watcher, previews) goes through here.
 */
export class SessionLedger {
  private readonly locks = new KeyedLock();
  /** Creates this process is working on: the reconciler leaves them alone. */
  private readonly inFlight = new Set<string>();
  /** When each session's activity was last written (ms since the epoch). */
  private readonly activityWrites = new Map<string, number>();
  /** When activity on each session was last seen, written or not: what the idle watcher reads. */
  private readonly activitySeen = new Map<string, number>();

  constructor(private readonly deps: { store: SessionStore; events: EventBus; clock: Clock }) {}

  get clock(): Clock {
    return this.deps.clock;
  }

  async list(): Promise<Session[]> {
    return this.deps.store.list();
  }

  /** By name or id. */
  async get(ref: string): Promise<Session> {
    const { store } = this.deps;
    const s =
      typeof ref === 'string' && ref.length <= 128
        ? ((await store.getByName(ref)) ?? (await store.get(ref)))
        : null;
    if (!s) {
      throw new NotFound(`no session named '${String(ref).slice(0, 80)}'`, {
        hint: 'list sessions with `berth ls`',
      });
    }
    return s;
  }

  /** Runs work on the session `ref` names under its lock, with the record as it is under the lock. */
  async act<T>(ref: string, work: (s: Session) => Promise<T>): Promise<T> {
    const found = await this.get(ref);
    return this.locks.run(found.id, async () => work((await this.deps.store.get(found.id)) ?? found));
  }

  withLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(id, work);
  }

  /** One capacity check at a time, so a burst of creates or starts cannot overshoot the caps. */
  withCapacityLock<T>(work: () => Promise<T>): Promise<T> {
    return this.locks.run(CAP_KEY, work);
  }

  /** Marks a create this process is working on until `work` settles. */
  async creating<T>(id: string, work: () => Promise<T>): Promise<T> {
    this.inFlight.add(id);
    try {
      return await work();
    } finally {
      this.inFlight.delete(id);
    }
  }

  isInFlight(id: string): boolean {
    return this.inFlight.has(id);
  }

  /** Stores the intent row of a create and tells subscribers. */
  async insert(session: Session): Promise<void> {
    await this.deps.store.insert(session);
    this.deps.events.publish({ type: 'session.created', session });
  }

  /** Moves a session to `to` in the store and tells subscribers; illegal moves throw. */
  async transition(
    session: Session,
    to: SessionStatus,
    reason: string | null,
    verb: string,
    extra: SessionPatch = {},
  ): Promise<Session> {
    assertTransition(session.name, session.status, to, verb);
    const now = this.deps.clock.now().toISOString();
    const updated = await this.deps.store.update(session.id, {
      ...extra,
      status: to,
      statusReason: reason,
      updatedAt: now,
      // Starting or resuming is activity: the idle timeout counts from here.
      ...(to === 'running' ? { lastActivityAt: now } : {}),
    });
    this.deps.events.publish({
      type: 'session.status.changed',
      session: updated,
      from: session.status,
      to,
      reason,
    });
    return updated;
  }

  /** Changes fields other than the status, stamps the change, and tells subscribers. */
  async update(s: Pick<Session, 'id'>, patch: SessionPatch): Promise<Session> {
    const updated = await this.deps.store.update(s.id, {
      ...patch,
      updatedAt: this.deps.clock.now().toISOString(),
    });
    this.deps.events.publish({ type: 'session.updated', session: updated });
    return updated;
  }

  /** Deletes the record and tells subscribers. */
  async forget(s: Pick<Session, 'id' | 'name'>): Promise<void> {
    await this.deps.store.delete(s.id);
    this.deps.events.publish({ type: 'session.deleted', id: s.id, name: s.name });
  }

  /**
   * Records activity on a session (API call, exec, terminal input, preview traffic, CPU use): the
   * idle timeout counts from the last one. Written at most once per ACTIVITY_WRITE_MS per session.
   */
  async noteActivity(sessionId: string): Promise<void> {
    const now = this.deps.clock.now();
    this.activitySeen.set(sessionId, now.getTime());
    const last = this.activityWrites.get(sessionId) ?? 0;
    if (now.getTime() - last < ACTIVITY_WRITE_MS) return;
    this.activityWrites.set(sessionId, now.getTime());
    const s = await this.deps.store.get(sessionId);
    if (!s || isTerminal(s.status)) {
      this.activityWrites.delete(sessionId);
      this.activitySeen.delete(sessionId);
      return;
    }
    await this.deps.store.update(sessionId, { lastActivityAt: now.toISOString() });
  }

  /** The latest activity on a session (ms since the epoch), including what is not yet written. */
  lastActivity(s: Pick<Session, 'id' | 'lastActivityAt'>): number {
    return Math.max(Date.parse(s.lastActivityAt) || 0, this.activitySeen.get(s.id) ?? 0);
  }
}
