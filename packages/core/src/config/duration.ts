import { InvalidInput } from '../errors/berth-error.js';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION_RE = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
/** Thirty days: longer than any idle timeout anyone means. */
export const MAX_DURATION_SECONDS = 30 * 86_400;

/**
 * `300`, `90s`, `5m`, `1h30m`, `2d` → seconds; `0`, `off` and `never` → 0. Whole seconds only,
 * at most thirty days.
 */
export function parseDuration(raw: string, what = 'duration'): number {
  const text = String(raw).trim().toLowerCase();
  const hint = 'give seconds (300) or a duration such as 90s, 5m, 1h30m; 0 or `never` turns it off';
  if (text === 'off' || text === 'never') return 0;
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else {
    const m = text === '' ? null : DURATION_RE.exec(text);
    if (!m) throw new InvalidInput(`${what} ${JSON.stringify(raw)} is not a duration`, { hint });
    seconds =
      Number(m[1] ?? 0) * UNIT_SECONDS.d! +
      Number(m[2] ?? 0) * UNIT_SECONDS.h! +
      Number(m[3] ?? 0) * UNIT_SECONDS.m! +
      Number(m[4] ?? 0);
  }
  if (!Number.isSafeInteger(seconds) || seconds > MAX_DURATION_SECONDS) {
    throw new InvalidInput(`${what} ${JSON.stringify(raw)} is longer than 30 days`, { hint });
  }
  return seconds;
}

/** 300 → `5m`, 5400 → `1h30m`, 45 → `45s`, 0 → `0s`. */
export function formatDuration(seconds: number): string {
  let left = Math.max(0, Math.round(seconds));
  if (left === 0) return '0s';
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out;
}
