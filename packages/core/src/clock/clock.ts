/** Time as a dependency, so tests of idle timeouts and ordering need no real waiting. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
