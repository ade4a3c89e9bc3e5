import { EventEmitter } from 'node:events';
import type { AgentState } from '@berth/api/agent-status';
import type { Session, SessionStatus } from '../session/session.js';

export type SessionEvent =
  | { type: 'session.created'; session: Session }
  | { type: 'session.updated'; session: Session }
  | {
      type: 'session.status.changed';
      session: Session;
      from: SessionStatus;
      to: SessionStatus;
      reason: string | null;
    }
  | { type: 'session.deleted'; id: string; name: string }
  | {
      type: 'agent.status.changed';
      session: Session;
      from: AgentState | null;
      to: AgentState;
      exitCode: number | null;
    }
  | ContainerHealthEvent;

/** What the engine did to a session's container that berth did not ask for. */
export type ContainerHealth = 'exited' | 'vanished' | 'paused' | 'running';

/**
 * A session's container changed state underneath it (killed, OOM-killed, removed, paused or started
 * outside berth). Published after the session's own `session.status.changed`, carrying the session
 * as it now is.
 */
export interface ContainerHealthEvent {
  type: 'container.health';
  session: Session;
  containerId: string;
  state: ContainerHealth;
  /** The exit code when the container exited, when the engine reported one. */
  exitCode: number | null;
  /** True when the kernel's OOM killer ended the container's main process. */
  oomKilled: boolean;
  reason: string;
}

export interface EventBus {
  publish(event: SessionEvent): void;
  /** Returns the function that unsubscribes. */
  subscribe(listener: (event: SessionEvent) => void): () => void;
}

export class InProcessEventBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(event: SessionEvent): void {
    this.emitter.emit('event', event);
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }
}
