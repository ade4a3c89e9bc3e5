import { parseDuration } from '@berth/core/config';
import { describe, expect, it } from 'vitest';
import { idleTimeoutOf } from '../../web/src/format/duration.js';

/** What a person might type as an idle timeout (an empty field is the server's default, not a text). */
const TYPED = [
  '300',
  '0',
  'off',
  'never',
  '90s',
  '5m',
  '10min',
  '10 mins',
  '1h',
  '1 hour',
  '1h30m',
  '1h 30m',
  '1 h 30 min',
  '90 sec',
  '2d',
  '30d',
  '31d',
  '2592001',
  '1.5h',
  '5ms',
  '30m1h',
  'soon',
  '-5m',
];

/** `berth new/update --idle-timeout TEXT`: seconds, or the CLI's refusal. */
function cli(text: string): number | 'refused' {
  try {
    return parseDuration(text, '--idle-timeout');
  } catch (err) {
    expect((err as { code?: string }).code).toBe('invalid_input');
    return 'refused';
  }
}

/** The dashboard's Idle timeout field: seconds, or a message under the field. */
function dashboard(text: string): number | 'refused' {
  const r = idleTimeoutOf(text);
  return 'seconds' in r ? r.seconds : 'refused';
}

describe('idle timeouts in the CLI and the dashboard', () => {
  it('accept and refuse the same texts, with the same seconds', () => {
    const cliRead = TYPED.map((t) => [t, cli(t)]);
    expect(TYPED.map((t) => [t, dashboard(t)])).toEqual(cliRead);
    // Both sides take what the old dashboard alone took (`10min`) and what the old CLI alone took.
    expect(Object.fromEntries(cliRead)).toMatchObject({ '10min': 600, '1h30m': 5400, '2d': 172_800 });
    expect(cliRead.filter(([, s]) => s === 'refused').map(([t]) => t)).toEqual([
      '31d',
      '2592001',
      '1.5h',
      '5ms',
      '30m1h',
      'soon',
      '-5m',
    ]);
  });
});
