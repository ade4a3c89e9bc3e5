import { EventEmitter } from 'node:events';
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
  | { type: 'session.deleted'; id: string; name: string };

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
