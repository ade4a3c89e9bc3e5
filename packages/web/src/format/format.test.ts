import { describe, expect, it } from 'vitest';
import { formatAge, formatAgo } from './age';
import { formatBytes, parseBytes } from './bytes';

describe('formatAge', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');
  it('says how long ago, briefly', () => {
    expect(formatAge('2025-06-01T11:59:40Z', now)).toBe('just now');
    expect(formatAge('2025-06-01T11:55:00Z', now)).toBe('5 min');
    expect(formatAge('2025-06-01T09:00:00Z', now)).toBe('3 h');
    expect(formatAge('2025-05-29T12:00:00Z', now)).toBe('3 d');
    expect(formatAge('not a date', now)).toBe('—');
  });

  it('reads as a phrase', () => {
    expect(formatAgo('2025-06-01T11:59:40Z', now)).toBe('just now');
    expect(formatAgo('2025-06-01T11:55:00Z', now)).toBe('5 min ago');
  });
});

describe('bytes', () => {
  it('formats sizes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2 GiB');
  });

  it('reads sizes as the CLI does', () => {
    expect(parseBytes('512m')).toBe(512 * 1024 ** 2);
    expect(parseBytes('2g')).toBe(2 * 1024 ** 3);
    expect(parseBytes('1.5 GiB')).toBe(1.5 * 1024 ** 3);
    expect(parseBytes('4096')).toBe(4096);
    expect(parseBytes('lots')).toBeNull();
    expect(parseBytes('-1m')).toBeNull();
  });
});
