import { readDuration } from '@berth/api/duration';

/**
 * The idle timeout field → seconds, or what to say under the field. The grammar is the CLI's
 * (`--idle-timeout`), from the api package: `300`, `90s`, `10min`, `1h30m`, `2d`; `0` or `never`.
 */
export function idleTimeoutOf(text: string): { seconds: number } | { error: string } {
  const r = readDuration(text);
  if (r.ok) return { seconds: r.seconds };
  return {
    error:
      r.problem === 'too_long' ? 'at most 30 days (0: never)' : 'a time such as 300, 10m or 1h (0: never)',
  };
}
