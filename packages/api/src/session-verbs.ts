/**
 * Which lifecycle verb each session status allows: the one table. Core's state machine enforces
 * it, the dashboard draws its action buttons from it, and the tests walk it. Pure data, no
 * dependencies, so every package can read it.
 */

export const SESSION_STATUSES = [
  'creating',
  'running',
  'paused',
  'stopped',
  'failed',
  'finished',
  'cancelled',
] as const;
export type SessionStatusName = (typeof SESSION_STATUSES)[number];

export const SESSION_VERBS = [
  'pause',
  'resume',
  'stop',
  'start',
  'restart',
  'finish',
  'cancel',
  'remove',
] as const;
export type SessionVerb = (typeof SESSION_VERBS)[number];

/**
 * What a verb does from a status: `act` changes the session, `noop` answers it as it is (the
 * verb's goal already holds), `force` acts only when asked to discard live work (`rm --force`).
 * A status missing from a verb's row refuses it: wrong state, with the way out.
 */
export type VerbEffect = 'act' | 'noop' | 'force';

export const VERB_TABLE: Readonly<
  Record<SessionVerb, Readonly<Partial<Record<SessionStatusName, VerbEffect>>>>
> = {
  pause: { running: 'act', paused: 'noop' },
  resume: { paused: 'act', running: 'noop' },
  stop: { running: 'act', paused: 'act', stopped: 'noop' },
  // A paused container cannot be started: resuming is the way (the refusal says so).
  start: { stopped: 'act', running: 'noop' },
  restart: { running: 'act', stopped: 'act' },
  finish: { running: 'act', paused: 'act', stopped: 'act' },
  cancel: {
    creating: 'act',
    running: 'act',
    paused: 'act',
    stopped: 'act',
    failed: 'act',
    cancelled: 'noop',
  },
  remove: {
    creating: 'force',
    running: 'force',
    paused: 'force',
    stopped: 'force',
    failed: 'act',
    finished: 'act',
    cancelled: 'act',
  },
};

/** Where a verb that acts leaves the session; `gone`: its record is deleted. */
export const VERB_TARGET: Readonly<Record<SessionVerb, SessionStatusName | 'gone'>> = {
  pause: 'paused',
  resume: 'running',
  stop: 'stopped',
  start: 'running',
  restart: 'running',
  finish: 'finished',
  cancel: 'cancelled',
  remove: 'gone',
};

/** What `verb` does from `status`; null: refused. */
export function verbEffect(verb: SessionVerb, status: SessionStatusName): VerbEffect | null {
  return VERB_TABLE[verb][status] ?? null;
}

/** The verbs a person can usefully take from `status` (no no-ops), in table order. */
export function verbsFor(status: SessionStatusName): SessionVerb[] {
  return SESSION_VERBS.filter((v) => {
    const e = VERB_TABLE[v][status];
    return e === 'act' || e === 'force';
  });
}
