export interface LoginThrottleOptions {
  /** Attempts per key inside the window; the next one is refused before the password is checked. */
  limit?: number;
  windowMs?: number;
  /** Password checks (argon2, ~20 MiB and tens of ms each) running at once, all keys together. */
  maxChecking?: number;
  /** Keys remembered at most; past it the oldest are forgotten (see `remember`). */
  maxKeys?: number;
  now?: () => number;
}

/** Why an attempt may not check its password now: its keys' count, a check of theirs running, all checks busy. */
export type Refusal = 'too-many-failures' | 'one-at-a-time' | 'busy';

/** A started attempt: say how it ended, once, so its key may check again. */
export type LoginAttempt = { ok: true; finish(success: boolean): void } | { ok: false; why: Refusal };

/**
 * Guards password checks, per key (a username, an address). An attempt counts from the moment it
 * starts, not when its slow check ends: concurrent logins cannot all pass the count. One check per
 * key runs at a time and a few in all, so a burst is refused at once instead of queueing hashes.
 * A success clears its keys' counts; a failure stays counted for the window.
 */
export class LoginThrottle {
  /** Start times of each key's attempts that did not succeed, oldest first. */
  private readonly attempts = new Map<string, number[]>();
  /** Keys with a check running, and how many checks run. */
  private readonly checking = new Set<string>();
  private running = 0;
  private readonly limit: number;
  private readonly windowMs: number;
  private readonly maxChecking: number;
  private readonly maxKeys: number;
  private readonly now: () => number;
  private nextSweep: number;

  constructor(opts: LoginThrottleOptions = {}) {
    this.limit = opts.limit ?? 10;
    this.windowMs = opts.windowMs ?? 60_000;
    this.maxChecking = opts.maxChecking ?? 4;
    this.maxKeys = opts.maxKeys ?? 50_000;
    this.now = opts.now ?? Date.now;
    this.nextSweep = this.now() + this.windowMs;
  }

  /** How many keys are remembered (for tests: it must not grow without bound). */
  get size(): number {
    return this.attempts.size;
  }

  /** Reserves a check for these keys, or says why not. */
  begin(keys: string[]): LoginAttempt {
    this.sweepIfDue();
    if (keys.some((k) => this.recent(k).length >= this.limit)) return { ok: false, why: 'too-many-failures' };
    if (keys.some((k) => this.checking.has(k))) return { ok: false, why: 'one-at-a-time' };
    if (this.running >= this.maxChecking) return { ok: false, why: 'busy' };
    this.running++;
    const startedAt = this.now();
    for (const k of keys) {
      this.remember(k, [...this.recent(k), startedAt]);
      this.checking.add(k);
    }
    let finished = false;
    return {
      ok: true,
      finish: (success) => {
        if (finished) return;
        finished = true;
        this.running--;
        for (const k of keys) {
          this.checking.delete(k);
          if (success) this.attempts.delete(k);
        }
      },
    };
  }

  private recent(key: string): number[] {
    const cutoff = this.now() - this.windowMs;
    return (this.attempts.get(key) ?? []).filter((t) => t > cutoff);
  }

  /**
   * Stores a key's attempts as the newest entry. Past `maxKeys` the oldest entry goes: with at
   * most `maxChecking` checks at a time, filling 50,000 keys inside one window would take checks
   * far faster than argon2's, so in practice only expired keys are ever dropped.
   */
  private remember(key: string, list: number[]): void {
    this.attempts.delete(key);
    this.attempts.set(key, list);
    while (this.attempts.size > this.maxKeys) {
      const oldest = this.attempts.keys().next().value as string;
      this.attempts.delete(oldest);
    }
  }

  /** Once a window, forgets the keys with no attempt inside it (random usernames would pile up). */
  private sweepIfDue(): void {
    const now = this.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + this.windowMs;
    const cutoff = now - this.windowMs;
    for (const [k, list] of this.attempts) {
      if ((list.at(-1) ?? 0) <= cutoff && !this.checking.has(k)) this.attempts.delete(k);
    }
  }
}
