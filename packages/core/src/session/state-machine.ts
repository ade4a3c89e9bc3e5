import { type SessionVerb, type VerbEffect, verbEffect } from '@berth/api/session-verbs';
import { IllegalTransition, InvalidInput } from '../errors/berth-error.js';
import type { RuntimeCapabilities } from '../runtime/runtime.js';
import {
  hasContainer,
  type LiveSession,
  type Session,
  type SessionName,
  type SessionStatus,
} from './session.js';

const TRANSITIONS: Record<SessionStatus, readonly SessionStatus[]> = {
  creating: ['running', 'failed', 'cancelled'],
  running: ['paused', 'stopped', 'finished', 'cancelled', 'failed'],
  paused: ['running', 'stopped', 'finished', 'cancelled', 'failed'],
  stopped: ['running', 'finished', 'cancelled', 'failed'],
  failed: ['cancelled'],
  finished: [],
  cancelled: [],
};

export function canTransition(from: SessionStatus, to: SessionStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

const WAY_OUT: Partial<Record<SessionStatus, (name: string) => string>> = {
  paused: (n) => `resume it with \`berth resume ${n}\``,
  stopped: (n) => `start it with \`berth start ${n}\``,
  creating: () => 'wait for it to finish starting',
  finished: (n) => `its work is on branch berth/${n}; remove the record with \`berth rm ${n}\``,
  cancelled: (n) => `remove the record with \`berth rm ${n}\``,
  failed: (n) => `see why with \`berth show ${n}\`, then \`berth rm ${n}\``,
};

export function assertTransition(
  name: SessionName,
  from: SessionStatus,
  to: SessionStatus,
  verb: string,
): void {
  if (canTransition(from, to)) return;
  const hint = WAY_OUT[from]?.(name);
  throw new IllegalTransition(`cannot ${verb} session '${name}': it is ${from}`, hint ? { hint } : {});
}

/**
 * What `verb` does from the session's status, from the one verb table (`act`, `noop`, `force`);
 * a verb the status does not allow throws wrong-state with the way out.
 */
export function assertVerb(name: SessionName, status: SessionStatus, verb: SessionVerb): VerbEffect {
  const effect = verbEffect(verb, status);
  if (effect) return effect;
  const hint = WAY_OUT[status]?.(name);
  throw new IllegalTransition(`cannot ${verb} session '${name}': it is ${status}`, hint ? { hint } : {});
}

/** For operations that need a live container (exec, logs follow, shell). */
export function assertRunning(name: SessionName, status: SessionStatus, verb: string): void {
  if (status === 'running') return;
  const hint = WAY_OUT[status]?.(name);
  throw new IllegalTransition(`cannot ${verb} in session '${name}': it is ${status}`, hint ? { hint } : {});
}

/**
 * The session with its container, for a verb whose status check passed: a status past `creating`
 * and before the end always has one, so this throws only on a record that contradicts itself.
 */
export function requireContainer(s: Session, what = `(it is ${s.status})`): LiveSession {
  if (hasContainer(s)) return s;
  throw new IllegalTransition(`session '${s.name}' has no container ${what}`);
}

/** Pause freezes a session in place, which only an engine that can freeze does; stop keeps its files. */
export function assertCanPause(name: SessionName, caps: Pick<RuntimeCapabilities, 'pause'>): void {
  if (caps.pause === 'freeze') return;
  throw new InvalidInput(`session '${name}' cannot be paused: this engine cannot freeze a container`, {
    hint: `stop it instead (\`berth stop ${name}\`): its files are kept, and \`berth start ${name}\` brings it back`,
  });
}
