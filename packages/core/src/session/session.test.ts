import { describe, expect, it } from 'vitest';
import { parseSessionName, SESSION_STATUSES } from './session.js';
import { assertTransition, canTransition } from './state-machine.js';

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
});
