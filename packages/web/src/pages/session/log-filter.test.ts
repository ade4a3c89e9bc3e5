import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../api/use-log-follow';
import { filterLogLines } from './log-filter';

const lines: LogLine[] = [
  { n: 0, stream: 'stdout', text: 'INFO listening on :3000' },
  { n: 1, stream: 'stdout', text: 'warning: slow query' },
  { n: 2, stream: 'stderr', text: 'Traceback (most recent call last)' },
  { n: 3, stream: 'stdout', text: 'Error: ECONNREFUSED' },
  { n: 4, stream: 'stdout', text: 'debug: cache hit' },
];
const ns = (f: Parameters<typeof filterLogLines>[1]) => filterLogLines(lines, f).map((l) => l.n);

describe('filterLogLines', () => {
  it('filters by level words, counting stderr as errors', () => {
    expect(ns({ search: '', stream: 'all', level: 'error' })).toEqual([2, 3]);
    expect(ns({ search: '', stream: 'all', level: 'warn' })).toEqual([1]);
    expect(ns({ search: '', stream: 'all', level: 'info' })).toEqual([0]);
    expect(ns({ search: '', stream: 'all', level: 'debug' })).toEqual([4]);
  });

  it('filters by stream and by text', () => {
    expect(ns({ search: '', stream: 'stderr', level: 'any' })).toEqual([2]);
    expect(ns({ search: 'QUERY', stream: 'all', level: 'any' })).toEqual([1]);
  });
});
