import { describe, expect, it } from 'vitest';
import { type LoginAttempt, LoginThrottle } from './login-throttle.js';

function started(a: LoginAttempt): Extract<LoginAttempt, { ok: true }> {
  if (!a.ok) throw new Error(`attempt refused: ${a.why}`);
  return a;
}

describe('login throttle', () => {
  it('refuses the 11th failure inside a minute and forgets after it', () => {
    let now = 0;
    const t = new LoginThrottle({ now: () => now });
    for (let i = 0; i < 10; i++) {
      started(t.begin(['u:amy'])).finish(false);
      now += 1000;
    }
    expect(t.begin(['u:amy'])).toEqual({ ok: false, why: 'too-many-failures' });
    started(t.begin(['u:bob'])).finish(false);
    now += 60_000;
    started(t.begin(['u:amy'])).finish(false);
  });

  it('a success clears the count', () => {
    const t = new LoginThrottle({ limit: 2, now: () => 0 });
    started(t.begin(['ip:1'])).finish(false);
    started(t.begin(['ip:1'])).finish(true);
    started(t.begin(['ip:1'])).finish(false);
    expect(t.begin(['ip:1']).ok).toBe(true);
  });

  it('counts an attempt while its check runs: one check per key at a time, each counted', () => {
    const t = new LoginThrottle({ limit: 3, now: () => 0 });
    const first = started(t.begin(['u:amy', 'ip:1']));
    expect(t.begin(['u:amy', 'ip:2'])).toEqual({ ok: false, why: 'one-at-a-time' });
    expect(t.begin(['u:bob', 'ip:1'])).toEqual({ ok: false, why: 'one-at-a-time' });
    first.finish(false);
    first.finish(false); // a second finish changes nothing
    started(t.begin(['u:amy', 'ip:1'])).finish(false);
    started(t.begin(['u:amy', 'ip:1'])).finish(false);
    expect(t.begin(['u:amy', 'ip:3'])).toEqual({ ok: false, why: 'too-many-failures' });
  });

  it('runs at most maxChecking checks at once, whatever the keys', () => {
    const t = new LoginThrottle({ maxChecking: 2, now: () => 0 });
    const a = started(t.begin(['u:a', 'ip:a']));
    started(t.begin(['u:b', 'ip:b']));
    expect(t.begin(['u:c', 'ip:c'])).toEqual({ ok: false, why: 'busy' });
    a.finish(false);
    expect(t.begin(['u:c', 'ip:c']).ok).toBe(true);
  });

  it('thousands of random usernames do not grow its memory without bound', () => {
    let now = 0;
    const t = new LoginThrottle({ maxKeys: 1_000, now: () => now });
    // A botnet's guesses: each from another address for another made-up user.
    for (let i = 0; i < 5_000; i++) started(t.begin([`user:random-${i}`, `ip:${i}`])).finish(false);
    // Inside one window: bounded by maxKeys.
    expect(t.size).toBeLessThanOrEqual(1_000);
    // A window later the expired keys go at the next attempt, the bound or not.
    now += 61_000;
    started(t.begin(['user:late', 'ip:8'])).finish(false);
    expect(t.size).toBe(2);
  });
});
