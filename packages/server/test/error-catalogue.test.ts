import { readFileSync } from 'node:fs';
import { ERROR_CODES } from '@berth/core';
import { describe, expect, it } from 'vitest';
import { STATUS_BY_CODE } from '../src/index.js';

const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|\s*(\d+)\s*\|/gm)].map((m) => ({
  code: m[1]!,
  status: Number(m[2]),
  exit: Number(m[3]),
}));

describe('the error catalogue', () => {
  it('documents every code the core can raise, and no other', () => {
    expect(rows.map((r) => r.code).sort()).toEqual([...ERROR_CODES].sort());
  });

  it('gives each code the HTTP status the server maps it to', () => {
    for (const r of rows)
      expect([r.code, STATUS_BY_CODE[r.code as keyof typeof STATUS_BY_CODE]]).toEqual([r.code, r.status]);
  });
});
