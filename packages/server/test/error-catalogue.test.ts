import { ERROR_CODES } from '@berth/core';
import { readErrorCatalogue } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../src/index.js';

const rows = readErrorCatalogue();

describe('the error catalogue', () => {
  it('documents every code the core can raise, and no other', () => {
    expect(rows.map((r) => r.code).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('gives each code the HTTP status the server maps it to', () => {
    for (const r of rows)
      expect([r.code, STATUS_BY_CODE[r.code as keyof typeof STATUS_BY_CODE]]).toEqual([r.code, r.status]);
  });
});
