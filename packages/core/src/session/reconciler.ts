import type { AgentSessions } from '../agents/agent-sessions.js';
import type { SessionNetworks } from '../egress/session-networks.js';
import type { ContainerHealth, EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { LABEL_ROLE, LABEL_SESSION_ID, ROLE_COLLECTOR, ROLE_RELAY } from '../runtime/labels.js';
import type { ContainerRuntime, ContainerState, RuntimeEvent } from '../runtime/runtime.js';
import type { SessionStore } from '../store/store.js';
import type { WorkCollector } from '../workspace/work-collector.js';
import { isTerminal, type Session } from './session.js';
import type { SessionLedger } from './session-ledger.js';
import type { SessionWork } from './session-work.js';

/**
 * Makes the store and the engine agree: at daemon start, after the events stream reconnects, and
 * on every engine event for berth's containers.
 */
export class Reconciler {
  constructor(
    private readonly deps: {
      ledger: Pick<SessionLedger, 'isInFlight' | 'withLock' | 'transition'>;
      /** Takes down what an interrupted create made. */
      work: Pick<SessionWork, 'discard'>;
      store: SessionStore;
      runtime: ContainerRuntime;
      logger: Logger;
      /** Where `container.health` goes; status changes are published by the ledger itself. */
      events?: EventBus;
      /** Sweeps state volumes and host credentials no live session owns. */
      agents?: AgentSessions;
      /** Says which work collectors are in use; the others are leftovers of a killed daemon. */
      collector?: Pick<WorkCollector, 'isActive'>;
      /** Sweeps the networks of filtered sessions that are gone. */
      networks?: Pick<SessionNetworks, 'sweep'>;
    },
  ) {}

  async reconcileAll(): Promise<{ removedContainers: number; updatedSessions: number }> {
    const { store, runtime, ledger, work, logger } = this.deps;
    let removedContainers = 0;
    let updatedSessions = 0;
    const sessions = await store.list();
    const byId = new Map(sessions.map((s) => [s.id, s]));

    // Creates the last daemon did not finish: undo them.
    for (const s of sessions) {
      if (s.status !== 'creating' || ledger.isInFlight(s.id)) continue;
      await ledger.withLock(s.id, async () => {
        await work.discard(s);
        await ledger.transition(s, 'failed', 'interrupted: the daemon stopped while creating it', 'fail', {
          containerId: null,
          workspacePath: null,
        });
      });
      updatedSessions++;
    }

    const containers = await runtime.listManaged();
    for (const c of containers) {
      // berth's egress relay is the gateway's own: it belongs to no session.
      if (c.labels[LABEL_ROLE] === ROLE_RELAY) continue;
      if (c.labels[LABEL_ROLE] === ROLE_COLLECTOR) {
        if (!this.deps.collector?.isActive(c.id)) {
          await runtime.remove(c.id);
          removedContainers++;
        }
        continue;
      }
      const owner = byId.get(c.labels[LABEL_SESSION_ID] ?? '');
      const live = owner && !isTerminal(owner.status) && owner.status !== 'creating';
      const ownedByCreate = owner?.status === 'creating' && ledger.isInFlight(owner.id);
      if (ownedByCreate) continue;
      if (!live || (owner.containerId !== null && owner.containerId !== c.id)) {
        logger.info({ container: c.id, name: c.name }, 'removing a container no session owns');
        await runtime.remove(c.id);
        removedContainers++;
      }
    }

    const current = new Map((await store.list()).map((s) => [s.id, s]));
    const owned = (id: string) => {
      const s = current.get(id);
      return !!s && (!isTerminal(s.status) || ledger.isInFlight(id));
    };
    await this.deps.agents?.sweep(owned);
    await this.deps.networks?.sweep(owned);

    const containerById = new Map(containers.map((c) => [c.id, c]));
    for (const s of await store.list()) {
      if (isTerminal(s.status) || s.status === 'creating' || !s.containerId) continue;
      const c = containerById.get(s.containerId) ?? (await runtime.inspect(s.containerId));
      if (await this.applyContainerState(s, c)) updatedSessions++;
    }
    return { removedContainers, updatedSessions };
  }

  async onEvent(e: RuntimeEvent): Promise<void> {
    const id = e.labels[LABEL_SESSION_ID];
    // A work collector's life is its collect's own, which removes it; not the session's container.
    if (!id || e.labels[LABEL_ROLE] === ROLE_COLLECTOR) return;
    const found = await this.deps.store.get(id);
    if (!found) {
      if (e.kind !== 'destroy') await this.deps.runtime.remove(e.containerId);
      return;
    }
    await this.deps.ledger.withLock(id, async () => {
      const s = await this.deps.store.get(id);
      const ours = s && s.containerId === e.containerId && !isTerminal(s.status);
      if (!ours && e.kind !== 'destroy' && !(s?.status === 'creating' && this.deps.ledger.isInFlight(id))) {
        // A container that surfaced after its session ended: the engine finished a create or
        // start that a killed daemon had asked for. Nothing may own it, so it goes.
        this.deps.logger.info(
          { container: e.containerId, session: id },
          'removing a container its session no longer owns',
        );
        await this.deps.runtime.remove(e.containerId);
        return;
      }
      if (!s || !ours || s.status === 'creating') return;
      // Echoes of berth's own actions: the store already says so, no need to ask the engine.
      if (e.kind === 'pause' && s.status === 'paused') return;
      if ((e.kind === 'start' || e.kind === 'unpause') && s.status === 'running') return;
      const c = e.kind === 'destroy' ? null : await this.deps.runtime.inspect(e.containerId);
      await this.applyContainerState(s, c);
    });
  }

  /** Returns true when the session's status had to change to match its container. */
  private async applyContainerState(s: Session, c: ContainerState | null): Promise<boolean> {
    const { ledger } = this.deps;
    const containerId = c?.id ?? s.containerId ?? '';
    if (!c || c.status === 'removing' || c.status === 'dead') {
      const reason = 'its container vanished (removed outside berth)';
      const updated = await ledger.transition(s, 'failed', reason, 'fail', { containerId: null });
      this.reportHealth(updated, containerId, 'vanished', reason);
      return true;
    }
    if (c.status === 'exited' || c.status === 'created') {
      if (s.status === 'stopped') return false;
      // Lists carry neither the exit code nor the OOM flag: ask the engine once.
      const full =
        c.exitCode === null || c.oomKilled === undefined ? await this.deps.runtime.inspect(c.id) : c;
      const code = c.exitCode ?? full?.exitCode ?? null;
      const oomKilled = (c.oomKilled ?? full?.oomKilled) === true;
      const reason = `its container exited${code === null ? '' : ` (code ${code})`}${
        oomKilled ? ' after running out of memory' : ''
      }`;
      const updated = await ledger.transition(s, 'stopped', reason, 'stop');
      this.reportHealth(updated, containerId, 'exited', reason, { exitCode: code, oomKilled });
      return true;
    }
    if (c.status === 'paused' && s.status !== 'paused') {
      if (s.status === 'stopped') return false;
      const reason = 'paused outside berth';
      const updated = await ledger.transition(s, 'paused', reason, 'pause');
      this.reportHealth(updated, containerId, 'paused', reason);
      return true;
    }
    if (c.status === 'running' && s.status !== 'running') {
      const reason = 'running again outside berth';
      const updated = await ledger.transition(s, 'running', reason, 'start');
      this.reportHealth(updated, containerId, 'running', reason);
      return true;
    }
    return false;
  }

  private reportHealth(
    session: Session,
    containerId: string,
    state: ContainerHealth,
    reason: string,
    exit: { exitCode: number | null; oomKilled: boolean } = { exitCode: null, oomKilled: false },
  ): void {
    this.deps.events?.publish({ type: 'container.health', session, containerId, state, reason, ...exit });
  }
}
