import { describe, expect, it } from 'vitest';
import { LineSplitter } from './log-lines.js';

describe('LineSplitter', () => {
  it('keeps a line and a multi-byte character whole across chunks', () => {
    const s = new LineSplitter();
    const bytes = Buffer.from('héllo\nwörld\nta');
    const cut = bytes.indexOf(Buffer.from('ö')) + 1; // inside the two bytes of ö
    expect(s.push(bytes.subarray(0, cut))).toEqual(['héllo']);
    expect(s.push(bytes.subarray(cut))).toEqual(['wörld']);
    expect(s.push(Buffer.from('il\n\n'))).toEqual(['tail', '']);
    expect(s.end()).toEqual([]);
  });

  it('cuts lines longer than the limit, and hands over what is left at the end', () => {
    const s = new LineSplitter(4);
    expect(s.push(Buffer.from('abcdefghij'))).toEqual(['abcd', 'efgh']);
    expect(s.push(Buffer.from('k\nlmnopq\nrs'))).toEqual(['ijk', 'lmno', 'pq']);
    expect(s.end()).toEqual(['rs']);
  });
});
