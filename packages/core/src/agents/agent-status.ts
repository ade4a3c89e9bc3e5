import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, chown, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AgentState,
  type AgentStatusSource,
  isAgentState,
  type WaitableState,
} from '@berth/api/agent-status';
import type { Clock } from '../clock/clock.js';
import { IllegalTransition, NotFound } from '../errors/berth-error.js';
import type { EventBus, SessionEvent } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { Mount } from '../runtime/runtime.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../store/store.js';
import { readUntrustedFile } from './untrusted-file.js';

/**
 * Where the agent's signals land in the container: a directory of the host's, one per session,
 * that the launcher (and the hooks it seeds) write one line to: `STATE CODE NONCE`.
 */
export const STATUS_MOUNT = '/run/berth/status';
export const STATUS_FILE = 'state';
/** More than any good line needs; a longer file is ignored, never read in full. */
const MAX_STATUS_BYTES = 64;
/** `STATE CODE NONCE`: CODE is the exit code or `-`; NONCE (the writer's pid and time) tells one write from the next. */
const LINE_RE = /^([a-z-]{1,16})(?: (-?\d{1,3}|-))?(?: [0-9.]{1,24})?\s*$/;

export interface AgentSignal {
  state: AgentState;
  exitCode: number | null;
}

/** One status line as the launcher writes it; anything else is not a signal. */
export function parseStatusLine(text: string): AgentSignal | null {
  const m = LINE_RE.exec(text);
  if (!m || !isAgentState(m[1])) return null;
  const exitCode = m[2] === undefined || m[2] === '-' ? null : Number(m[2]);
  return { state: m[1], exitCode: m[1] === 'exited' ? exitCode : null };
}

/** The status line as the agent left it (see readUntrustedFile); null when there is nothing usable. */
export async function readStatusFile(dir: string): Promise<string | null> {
  const buf = await readUntrustedFile(join(dir, STATUS_FILE), MAX_STATUS_BYTES);
  return buf === null ? null : buf.toString('utf8');
}

/** What `waitFor` ended on: a state it waited for, or the session no longer running. */
export type WaitOutcome =
  | { session: Session; reached: WaitableState }
  | { session: Session; reached: 'timeout' };

/**
 * Agent status: reads each running agent session's signals (polled; a hostile agent can change
 * its line as often as it likes and is heard at most once a poll), records changes on the
 * session and publishes `agent.status.changed`. The daemon's clock dates each change.
 */
export class AgentStatusTracker {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  /** Running agent sessions, by id: the only ones polled. */
  private readonly watched = new Set<string>();
  private polling = false;
  /** The line last acted on per session: an unchanged file costs one read, no query. */
  private readonly lastLine = new Map<string, string>();

  constructor(
    private readonly deps: {
      root: string;
      store: SessionStore;
      events: EventBus;
      clock: Clock;
      logger: Logger;
      pollMs?: number;
    },
  ) {}

  dirOf(sessionId: string): string {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(sessionId)) throw new Error(`not a session id: ${sessionId}`);
    return join(this.deps.root, sessionId);
  }

  /**
   * The session's status directory, empty, writable by the session's user only (where the daemon
   * may chown; else by anyone, inside a 0700 parent only the daemon's user can enter).
   */
  async prepare(sessionId: string, uid: number, gid: number): Promise<Mount> {
    await mkdir(this.deps.root, { recursive: true, mode: 0o700 });
    await chmod(this.deps.root, 0o700);
    const dir = this.dirOf(sessionId);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { mode: 0o700 });
    try {
      await chown(dir, uid, gid);
    } catch {
      await chmod(dir, 0o777);
    }
    return { source: dir, target: STATUS_MOUNT, readOnly: false };
  }

  /** Before the agent starts again: what it said last time is over (the launcher says `starting`). */
  async reset(session: Session): Promise<void> {
    await rm(join(this.dirOf(session.id), STATUS_FILE), { force: true });
    this.lastLine.delete(session.id);
    if (session.agentStatus !== 'starting') await this.record(session, { state: 'starting', exitCode: null });
  }

  async release(sessionId: string): Promise<void> {
    this.watched.delete(sessionId);
    this.lastLine.delete(sessionId);
    await rm(this.dirOf(sessionId), { recursive: true, force: true });
  }

  /** Starts polling the running agent sessions. */
  async start(): Promise<void> {
    if (this.timer) return;
    this.unsubscribe = this.deps.events.subscribe((e) => this.track(e));
    for (const s of await this.deps.store.list({ statuses: ['running'] })) {
      if (s.agent) this.watched.add(s.id);
    }
    this.timer = setInterval(() => void this.poll(), this.deps.pollMs ?? 500);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  private track(e: SessionEvent): void {
    if (e.type === 'session.deleted') {
      this.watched.delete(e.id);
      this.lastLine.delete(e.id);
    } else if (e.type === 'session.created' || e.type === 'session.status.changed') {
      if (e.session.agent && e.session.status === 'running') this.watched.add(e.session.id);
      else this.watched.delete(e.session.id);
    }
  }

  /** One round: each watched session's line, recorded where it changed. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const id of [...this.watched]) await this.refresh(id);
    } catch (err) {
      this.deps.logger.warn({ err }, 'agent status poll failed');
    } finally {
      this.polling = false;
    }
  }

  /** Reads one session's line now and records it where it changed (a poll, for one session). */
  async refresh(id: string): Promise<void> {
    const line = await readStatusFile(this.dirOf(id));
    if (line === null || this.lastLine.get(id) === line) return;
    this.lastLine.set(id, line);
    const signal = parseStatusLine(line);
    if (!signal) return;
    const s = await this.deps.store.get(id);
    if (s?.status !== 'running' || !s.agent) {
      this.watched.delete(id);
      return;
    }
    if (s.agentStatus === signal.state && s.agentExitCode === signal.exitCode) return;
    await this.record(s, signal);
  }

  /** Puts back `state` where the status moved off it (a prompt that did not go in after all). */
  async restore(id: string, state: AgentState): Promise<void> {
    const s = await this.deps.store.get(id);
    if (s && s.agentStatus !== state) await this.note(s, state);
  }

  /** Sets what berth itself knows the agent is doing (a prompt it just typed in, say). */
  async note(session: Session, state: AgentState): Promise<void> {
    // Into the line too, so the launcher's guess (which compares against it) sees what berth set.
    const line = `${state} - berth.${Date.now()}\n`;
    if (await this.writeLine(session.id, line)) this.lastLine.set(session.id, line);
    if (session.agentStatus !== state) await this.record(session, { state, exitCode: null });
  }

  /**
   * Writes the line in a directory the agent controls: a fresh file (O_EXCL, no link followed)
   * renamed over `state`, which replaces whatever is there without following it.
   */
  private async writeLine(sessionId: string, line: string): Promise<boolean> {
    const dir = this.dirOf(sessionId);
    const tmp = join(dir, `.berth-${randomBytes(8).toString('hex')}`);
    try {
      const h = await open(
        tmp,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o644,
      );
      try {
        await h.writeFile(line);
      } finally {
        await h.close();
      }
      await rename(tmp, join(dir, STATUS_FILE));
      return true;
    } catch (err) {
      this.deps.logger.debug({ err, session: sessionId }, 'could not write the agent status line');
      await rm(tmp, { force: true }).catch(() => {});
      return false;
    }
  }

  private async record(s: Session, signal: AgentSignal, source?: AgentStatusSource): Promise<void> {
    const now = this.deps.clock.now().toISOString();
    const updated = await this.deps.store.update(s.id, {
      agentStatus: signal.state,
      agentStatusSince: now,
      agentExitCode: signal.exitCode,
      agentStatusSource: source ?? s.agentStatusSource ?? 'signals',
      updatedAt: now,
    });
    this.deps.events.publish({
      type: 'agent.status.changed',
      session: updated,
      from: s.agentStatus,
      to: signal.state,
      exitCode: signal.exitCode,
    });
  }

  /**
   * Resolves once the session's agent is in one of `states` (now, or later), or the session stops
   * running (counted as `exited`: the agent's process went with its container), or after
   * `timeoutMs` with `timeout`.
   */
  async waitFor(
    sessionId: string,
    states: readonly WaitableState[],
    timeoutMs: number,
  ): Promise<WaitOutcome> {
    return new Promise<WaitOutcome>((resolve, reject) => {
      let done = false;
      let latest: Session | null = null;
      const finish = (o: WaitOutcome | Error) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unsubscribe();
        if (o instanceof Error) reject(o);
        else resolve(o);
      };
      const check = (s: Session) => {
        latest = s;
        // Paused: its agent is frozen, and goes on when it is resumed.
        if (s.status !== 'running' && s.status !== 'creating' && s.status !== 'paused') {
          if (states.includes('exited')) finish({ session: s, reached: 'exited' });
          else {
            finish(
              new IllegalTransition(`session '${s.name}' is ${s.status}: its agent is not running`, {
                hint: `start it with \`berth start ${s.name}\`, or wait --for exited`,
              }),
            );
          }
          return;
        }
        const st = s.agentStatus;
        if (st && (states as readonly string[]).includes(st))
          finish({ session: s, reached: st as WaitableState });
      };
      const unsubscribe = this.deps.events.subscribe((e) => {
        if (e.type === 'session.deleted' && e.id === sessionId) {
          finish(new NotFound('the session was removed while waiting'));
        } else if ('session' in e && e.session.id === sessionId) check(e.session);
      });
      const timer = setTimeout(() => {
        if (latest) finish({ session: latest, reached: 'timeout' });
        else {
          // Timed out before the first read came back: the session as it is now.
          this.deps.store.get(sessionId).then(
            (s) => finish(s ? { session: s, reached: 'timeout' } : new NotFound('the session is gone')),
            (err: Error) => finish(err),
          );
        }
      }, timeoutMs);
      this.deps.store.get(sessionId).then(
        (s) => (s ? check(s) : finish(new NotFound('no such session'))),
        (err: Error) => finish(err),
      );
    });
  }
}
