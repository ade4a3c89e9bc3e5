import type { AuditLog } from '../audit/audit-log.js';
import type { Clock } from '../clock/clock.js';
import type { BerthConfig } from '../config/config.js';
import type { Logger } from '../logger.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { SessionStore } from '../store/store.js';
import { idleReason } from './profiles.js';
import { hasContainer, type LiveSession, type Session } from './session.js';
import type { SessionLedger } from './session-ledger.js';
import type { SessionService } from './session-service.js';

export interface IdleWatcherDeps {
  service: Pick<SessionService, 'pause' | 'stop'>;
  ledger: Pick<SessionLedger, 'isInFlight' | 'lastActivity' | 'noteActivity'>;
  store: Pick<SessionStore, 'list' | 'get'> & { audit: AuditLog };
  runtime: Pick<ContainerRuntime, 'stats' | 'capabilities'>;
  clock: Clock;
  logger: Logger;
  config: Pick<BerthConfig, 'idle'>;
}

/** A failed idle action is tried again after this long, not on every sweep. */
const RETRY_AFTER_MS = 60_000;

/**
 * Pauses or stops running sessions that have been idle for their timeout. Activity is what
 * SessionLedger.noteActivity heard (API calls, exec, terminal input, preview traffic), and CPU
 * use: a session past half its timeout has its container's CPU counter sampled each sweep, and
 * use above `config.idle.cpuPercent` of one CPU since the previous sample counts as activity.
 */
export class IdleWatcher {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;
  /** The container's cumulative CPU time at the last sample, per session. */
  private readonly cpu = new Map<string, { nanos: number; at: number }>();
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly deps: IdleWatcherDeps) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  /** Stops sweeping; resolves once a sweep under way has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.sweep()
        .catch((err) => this.deps.logger.warn({ err }, 'idle sweep failed'))
        .finally(() => {
          this.running = null;
          this.schedule();
        });
    }, this.deps.config.idle.sweepMs);
    this.timer.unref();
  }

  /** One look at every running session; acts on those idle for their timeout. */
  async sweep(): Promise<void> {
    const { ledger, store, clock } = this.deps;
    const running = await store.list({ statuses: ['running'] });
    const live = new Set(running.map((s) => s.id));
    for (const id of this.cpu.keys()) if (!live.has(id)) this.cpu.delete(id);
    for (const s of running) {
      if (this.stopped) return;
      const timeoutMs = s.idle.timeoutSeconds * 1000;
      if (timeoutMs <= 0 || !hasContainer(s) || ledger.isInFlight(s.id)) continue;
      const now = clock.now().getTime();
      if (now - (this.failedAt.get(s.id) ?? 0) < RETRY_AFTER_MS) continue;
      const idleFor = now - ledger.lastActivity(s);
      if (idleFor < timeoutMs / 2) continue;
      const busy = await this.cpuBusy(s, now);
      if (busy === true) {
        await ledger.noteActivity(s.id);
        continue;
      }
      // Without an earlier CPU sample there is no telling: decide on the next sweep.
      if (idleFor < timeoutMs || busy === null) continue;
      await this.shutDown(s);
    }
  }

  /** Whether the container used CPU since the last sample; null when this is the first sample. */
  private async cpuBusy(s: LiveSession, now: number): Promise<boolean | null> {
    let nanos: number;
    try {
      nanos = (await this.deps.runtime.stats(s.containerId, { quick: true })).cpuUsageNanos;
    } catch (err) {
      // No stats (the container is going away): its CPU cannot keep the session alive.
      this.deps.logger.debug({ err, session: s.id }, 'idle watcher could not read stats');
      return false;
    }
    const prev = this.cpu.get(s.id);
    this.cpu.set(s.id, { nanos, at: now });
    if (!prev) return null;
    const elapsedMs = now - prev.at;
    const usedMs = (nanos - prev.nanos) / 1e6;
    // A counter that went backwards is a restarted container: no evidence either way.
    if (elapsedMs <= 0 || usedMs < 0) return false;
    return (usedMs / elapsedMs) * 100 >= this.deps.config.idle.cpuPercent;
  }

  private async shutDown(s: Session): Promise<void> {
    const { service, ledger, store, clock, logger, runtime } = this.deps;
    // An engine that cannot freeze stops an idle session instead: it costs nothing either way.
    const action = s.idle.action === 'pause' && runtime.capabilities.pause === 'freeze' ? 'pause' : 'stop';
    const reason = idleReason({ ...s.idle, action });
    // Checked again under the session's lock: activity, a new policy or a user's action meanwhile wins.
    let acting = false;
    const onlyIf = (cur: Session) => {
      acting =
        cur.id === s.id &&
        cur.status === 'running' &&
        cur.idle.timeoutSeconds === s.idle.timeoutSeconds &&
        cur.idle.action === s.idle.action &&
        clock.now().getTime() - ledger.lastActivity(cur) >= cur.idle.timeoutSeconds * 1000;
      return acting;
    };
    try {
      // The service finds names before ids, so the session's own (unique) name is the ref that
      // cannot mean another session; onlyIf checks the id besides, in case it was renamed meanwhile.
      const ref = (await store.get(s.id))?.name ?? s.name;
      if (action === 'pause') await service.pause(ref, { reason, onlyIf });
      else await service.stop(ref, { reason, onlyIf });
      if (!acting) return;
      this.cpu.delete(s.id);
      logger.info({ session: s.id, name: s.name, reason }, 'idle session shut down');
      await store.audit.append({
        at: clock.now().toISOString(),
        actor: 'berth',
        action: `idle-${action}`,
        sessionId: s.id,
        sessionName: s.name,
        outcome: 'ok',
        detail: reason,
      });
    } catch (err) {
      this.failedAt.set(s.id, clock.now().getTime());
      logger.warn({ err, session: s.id, name: s.name }, `could not ${action} an idle session`);
    }
  }
}
