import type { Clock } from '@berth/core';

/**
 * A clock that moves only when the test moves it: give it to `openCore(config, logger, { clock })`
 * and time-based behaviour (idle timeouts) happens when the test says, without real waiting.
 * It starts at the real time, so what it stamps reads as now.
 */
export class TestClock implements Clock {
  private ms: number;

  constructor(start: Date = new Date()) {
    this.ms = start.getTime();
  }

  now(): Date {
    return new Date(this.ms);
  }

  /** Moves the clock on by `ms` (whole milliseconds, not backwards); returns the new time. */
  advance(ms: number): Date {
    if (!Number.isInteger(ms) || ms < 0) throw new Error(`TestClock.advance: ${ms} is not a whole ms >= 0`);
    this.ms += ms;
    return this.now();
  }

  /** Sets the clock to `date`, backwards too. */
  set(date: Date): void {
    const ms = date.getTime();
    if (Number.isNaN(ms)) throw new Error('TestClock.set: an invalid date');
    this.ms = ms;
  }
}
