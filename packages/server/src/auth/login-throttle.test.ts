import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('login throttle', () => {
  it('blocks the 11th failure inside a minute and forgets after it', () => {
    let now = 0;
    const t = new LoginThrottle(10, 60_000, () => now);
    for (let i = 0; i < 10; i++) {
      expect(t.blocked(['u:amy'])).toBe(false);
      t.fail(['u:amy']);
      now += 1000;
    }
    expect(t.blocked(['u:amy'])).toBe(true);
    expect(t.blocked(['u:bob'])).toBe(false);
    now += 60_000;
    expect(t.blocked(['u:amy'])).toBe(false);
  });

  it('a success clears the count', () => {
    const t = new LoginThrottle(2, 60_000, () => 0);
    t.fail(['ip:1']);
    t.succeed(['ip:1']);
    t.fail(['ip:1']);
    expect(t.blocked(['ip:1'])).toBe(false);
  });
});
