import { ApiError } from '@berth/api';
import { readErrorCatalogue } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { reportError } from '../src/output.js';

const rows = readErrorCatalogue().map((r) => [r.code, r.exit] as const);

describe('CLI exit codes', () => {
  it('match the error catalogue for every code', () => {
    expect(rows.length).toBeGreaterThanOrEqual(10);
    const write = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      for (const [code, exit] of rows) {
        const err = new ApiError({ type: '', title: '', status: 400, detail: 'x', code }, 400);
        expect([code, reportError(err, false)]).toEqual([code, exit]);
      }
    } finally {
      process.stderr.write = write;
    }
  });
});
