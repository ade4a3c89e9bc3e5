import { describe, expect, it } from 'vitest';
import {
  DurationError,
  formatDuration,
  MAX_DURATION_SECONDS,
  parseDuration,
  readDuration,
} from './duration.js';

describe('durations', () => {
  it('reads a whole number alone as seconds', () => {
    expect(parseDuration('300')).toBe(300);
    expect(parseDuration(' 45 ')).toBe(45);
    expect(parseDuration('0')).toBe(0);
  });

  it('reads short units, alone and combined largest first', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('5m')).toBe(300);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration('2d')).toBe(172_800);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration('1d2h3m4s')).toBe(86_400 + 7200 + 180 + 4);
    expect(parseDuration('1h 30m')).toBe(5400);
  });

  it('reads the long forms people type, in any case, with or without a space', () => {
    expect(parseDuration('10min')).toBe(600);
    expect(parseDuration('10 mins')).toBe(600);
    expect(parseDuration('1 hour')).toBe(3600);
    expect(parseDuration('2 hours 15 minutes')).toBe(8100);
    expect(parseDuration('90 sec')).toBe(90);
    expect(parseDuration('1 second')).toBe(1);
    expect(parseDuration('3 days')).toBe(259_200);
    expect(parseDuration('1hr30min')).toBe(5400);
    expect(parseDuration('10MIN')).toBe(600);
    // The dashboard shows a timeout as "1 h 30 min": that reads back too.
    expect(parseDuration('1 h 30 min')).toBe(5400);
  });

  it('reads 0, off and never as off', () => {
    for (const off of ['0', 'off', 'never', 'NEVER', ' Off ', '0s', '0m'])
      expect([off, parseDuration(off)]).toEqual([off, 0]);
  });

  it('allows up to thirty days and no more', () => {
    expect(parseDuration('30d')).toBe(MAX_DURATION_SECONDS);
    expect(parseDuration('720h')).toBe(MAX_DURATION_SECONDS);
    expect(parseDuration(String(MAX_DURATION_SECONDS))).toBe(MAX_DURATION_SECONDS);
    for (const long of ['31d', '30d1s', '2592001', '999999999999999999999', '99999999999999999999d'])
      expect([long, readDuration(long)]).toEqual([long, { ok: false, problem: 'too_long' }]);
    expect(() => parseDuration('31d', 'BERTH_IDLE_TIMEOUT')).toThrow(
      'BERTH_IDLE_TIMEOUT "31d" is longer than 30 days',
    );
  });

  it('refuses what is not a duration, saying what was given and how to write one', () => {
    const refused = [
      '',
      '   ',
      'soon',
      '-5m',
      '+5m',
      '1.5h',
      '5ms',
      '5 fortnights',
      '1h30',
      '30m1h',
      '5m5m',
      '1h, 30m',
      'h',
      '1 h 30 min ago',
      'off 5m',
      '\u0000',
    ];
    for (const text of refused)
      expect([text, readDuration(text)]).toEqual([text, { ok: false, problem: 'not_a_duration' }]);
    let thrown: unknown;
    try {
      parseDuration('soon', '--idle-timeout');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(DurationError);
    expect(thrown).toBeInstanceOf(Error);
    expect(thrown).toMatchObject({
      problem: 'not_a_duration',
      message: '--idle-timeout "soon" is not a duration',
      hint: expect.stringMatching(/300.*90s.*10min.*1h30m.*never/),
    });
  });

  it('formats seconds so that they read back', () => {
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(45)).toBe('45s');
    expect(formatDuration(300)).toBe('5m');
    expect(formatDuration(5400)).toBe('1h30m');
    expect(formatDuration(90_061)).toBe('1d1h1m1s');
    for (const s of [0, 1, 59, 60, 61, 3599, 3600, 5400, 86_399, 86_400, 90_061, MAX_DURATION_SECONDS])
      expect([s, parseDuration(formatDuration(s))]).toEqual([s, s]);
  });
});
