/**
 * Durations as people type them, one grammar for the CLI (`--idle-timeout`), the configuration
 * (`BERTH_IDLE_TIMEOUT`) and the dashboard's form. Pure: the dashboard bundles it.
 *
 * - a whole number alone is seconds: `300`;
 * - otherwise one or more parts `<whole number><unit>`, largest unit first and each unit at most
 *   once, with or without spaces: `90s`, `5m`, `1h30m`, `1h 30m`, `2d`, `10min`, `1 hour`,
 *   `90 sec`, `1 h 30 min`;
 * - units, in any case: `s` `sec` `secs` `second` `seconds`, `m` `min` `mins` `minute` `minutes`,
 *   `h` `hr` `hrs` `hour` `hours`, `d` `day` `days`;
 * - `0`, `off` and `never` mean off (0 seconds);
 * - at most thirty days. No fractions (`1.5h`: say `1h30m`), no signs, no milliseconds.
 */

/** Thirty days: longer than any idle timeout anyone means. */
export const MAX_DURATION_SECONDS = 30 * 86_400;

const DURATION_HINT =
  'give seconds (300) or a duration such as 90s, 10min, 1h30m or 2d (at most 30 days); 0 or `never` turns it off';

/** Why a text is not a duration: not one at all, or longer than thirty days. */
export type DurationProblem = 'not_a_duration' | 'too_long';

/** Thrown by `parseDuration`; a plain Error, so each package can map it to its own errors. */
export class DurationError extends Error {
  readonly problem: DurationProblem;
  readonly hint = DURATION_HINT;

  constructor(problem: DurationProblem, message: string) {
    super(message);
    this.name = 'DurationError';
    this.problem = problem;
  }
}

const UNITS: ReadonlyArray<{ seconds: number; names: readonly string[] }> = [
  { seconds: 86_400, names: ['d', 'day', 'days'] },
  { seconds: 3600, names: ['h', 'hr', 'hrs', 'hour', 'hours'] },
  { seconds: 60, names: ['m', 'min', 'mins', 'minute', 'minutes'] },
  { seconds: 1, names: ['s', 'sec', 'secs', 'second', 'seconds'] },
];
const SECONDS_BY_NAME = new Map(UNITS.flatMap((u) => u.names.map((n) => [n, u.seconds] as const)));
const PART_RE = /(\d+)\s*([a-z]+)\s*/y;

/** Seconds, or why not; for callers that would rather not catch (`parseDuration` throws this). */
export function readDuration(
  raw: string,
): { ok: true; seconds: number } | { ok: false; problem: DurationProblem } {
  const text = String(raw).trim().toLowerCase();
  if (text === 'off' || text === 'never') return { ok: true, seconds: 0 };
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else {
    if (text === '') return { ok: false, problem: 'not_a_duration' };
    seconds = 0;
    let last = Number.POSITIVE_INFINITY;
    PART_RE.lastIndex = 0;
    while (PART_RE.lastIndex < text.length) {
      const m = PART_RE.exec(text);
      const unit = m ? SECONDS_BY_NAME.get(m[2]!) : undefined;
      // Largest first, each once: `30m1h` and `5m5m` are slips, not durations.
      if (!m || unit === undefined || unit >= last) return { ok: false, problem: 'not_a_duration' };
      seconds += Number(m[1]) * unit;
      last = unit;
    }
  }
  if (!Number.isSafeInteger(seconds) || seconds > MAX_DURATION_SECONDS)
    return { ok: false, problem: 'too_long' };
  return { ok: true, seconds };
}

/** The grammar above → whole seconds; `what` names the value in the message (`--idle-timeout`). */
export function parseDuration(raw: string, what = 'duration'): number {
  const r = readDuration(raw);
  if (r.ok) return r.seconds;
  const said = `${what} ${JSON.stringify(raw)}`;
  throw new DurationError(
    r.problem,
    r.problem === 'too_long' ? `${said} is longer than 30 days` : `${said} is not a duration`,
  );
}

/** 300 → `5m`, 5400 → `1h30m`, 45 → `45s`, 0 → `0s`; `parseDuration` reads it back. */
export function formatDuration(seconds: number): string {
  let left = Math.max(0, Math.round(seconds));
  if (left === 0) return '0s';
  let out = '';
  for (const { seconds: size, names } of UNITS) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${names[0]}`;
    left -= n * size;
  }
  return out;
}
