/**
 * The bounds of a session's limits: the one table. The API's schemas, core's checks of what a
 * client or the config asks for, and the dashboard's form all read it. Pure data, no
 * dependencies, so every package can.
 */
export const LIMIT_BOUNDS = {
  cpus: { min: 0.01, max: 256 },
  memoryBytes: { min: 6 * 1024 * 1024, max: 2 ** 50 },
  pids: { min: 16, max: 1_000_000 },
} as const;

/** Whether `n` is a number of CPUs a session may have. */
export function cpusInBounds(n: unknown): n is number {
  return (
    typeof n === 'number' && Number.isFinite(n) && n >= LIMIT_BOUNDS.cpus.min && n <= LIMIT_BOUNDS.cpus.max
  );
}
