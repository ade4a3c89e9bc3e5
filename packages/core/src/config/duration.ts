import {
  DurationError,
  formatDuration,
  MAX_DURATION_SECONDS,
  parseDuration as parseDurationText,
} from '@berth/api/duration';
import { InvalidInput } from '../errors/berth-error.js';

// The grammar lives in the api package, so the dashboard reads durations exactly as the CLI does.
export { formatDuration, MAX_DURATION_SECONDS };

/**
 * `300`, `90s`, `10min`, `1h30m`, `2d` → seconds; `0`, `off` and `never` → 0 (the grammar:
 * `@berth/api/duration`). A text that is none of them is InvalidInput, with a hint.
 */
export function parseDuration(raw: string, what = 'duration'): number {
  try {
    return parseDurationText(raw, what);
  } catch (err) {
    if (err instanceof DurationError) throw new InvalidInput(err.message, { hint: err.hint, cause: err });
    throw err;
  }
}
