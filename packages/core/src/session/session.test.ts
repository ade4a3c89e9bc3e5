import { SESSION_VERBS, VERB_TARGET, verbEffect, verbsFor } from '@berth/api/session-verbs';
import { describe, expect, it } from 'vitest';
import { parseSessionName, SESSION_STATUSES } from './session.js';
import { assertTransition, assertVerb, canTransition } from './state-machine.js';

describe('session names', () => {
  it.each(['a', 'fix-login', 'x1', 'a'.repeat(63)])('accepts the slug %s', (n) => {
    expect(parseSessionName(n)).toBe(n);
  });

  it.each([
    ['a/b', 'not a valid slug'],
    ['..', 'not a valid slug'],
    ['has space', 'not a valid slug'],
    ['UP', 'not a valid slug'],
    ['-x', 'not a valid slug'],
    ['x-', 'not a valid slug'],
    ['a\u0000b', 'not a valid slug'],
    ['é', 'not a valid slug'],
    ['', 'required'],
    ['a'.repeat(64), 'limit is 63'],
    ['0b6f3c1e-2d4a-4f5b-9c8d-7e6f5a4b3c2d', 'looks like a session id'],
  ])('rejects %j with a message and a hint', (n, why) => {
    try {
      parseSessionName(n);
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toContain(why);
      expect((err as { hint?: string }).hint).toBeTruthy();
      expect((err as { code: string }).code).toBe('invalid_input');
    }
  });
});

describe('the session state machine', () => {
  it('lets a running session pause, stop, finish, cancel or fail', () => {
    for (const to of ['paused', 'stopped', 'finished', 'cancelled', 'failed'] as const) {
      expect(canTransition('running', to)).toBe(true);
    }
  });

  it('allows nothing out of finished or cancelled', () => {
    for (const to of SESSION_STATUSES) {
      expect(canTransition('finished', to)).toBe(false);
      expect(canTransition('cancelled', to)).toBe(false);
    }
  });

  it('lets a failed session only be cancelled', () => {
    expect(SESSION_STATUSES.filter((to) => canTransition('failed', to))).toEqual(['cancelled']);
  });

  it('throws an illegal_transition error naming the way out', () => {
    expect(() => assertTransition(parseSessionName('api'), 'cancelled', 'finished', 'finish')).toThrowError(
      expect.objectContaining({
        code: 'illegal_transition',
        message: "cannot finish session 'api': it is cancelled",
        hint: 'remove the record with `berth rm api`',
      }),
    );
  });

  it('every verb the verb table allows is a move the status graph allows', () => {
    for (const from of SESSION_STATUSES) {
      for (const verb of SESSION_VERBS) {
        const to = VERB_TARGET[verb];
        if (to === 'gone') continue;
        if (verbEffect(verb, from) === 'act' && to !== from)
          expect([verb, from, canTransition(from, to)]).toEqual([verb, from, true]);
      }
    }
  });

  it('from creating only cancel and a forced remove are taken (the create finishes first)', () => {
    expect(verbsFor('creating')).toEqual(['cancel', 'remove']);
    expect(verbEffect('remove', 'creating')).toBe('force');
  });

  it('start of a paused session is wrong-state with the resume hint, not a trip to the engine', () => {
    expect(() => assertVerb(parseSessionName('api'), 'paused', 'start')).toThrowError(
      expect.objectContaining({
        code: 'illegal_transition',
        message: "cannot start session 'api': it is paused",
        hint: 'resume it with `berth resume api`',
      }),
    );
    expect(assertVerb(parseSessionName('api'), 'running', 'start')).toBe('noop');
  });
});
