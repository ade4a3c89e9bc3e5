import { ApiError } from '@berth/api';
import { readErrorCatalogue } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT, reportError } from '../src/output.js';

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

  it("an error the CLI finds itself says, in --json, the catalogue's code its exit code stands for", () => {
    const out = process.stdout.write;
    const err = process.stderr.write;
    const printed: string[] = [];
    process.stdout.write = ((s: string) => printed.push(s) > 0) as typeof process.stdout.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    const codes: Record<string, [number, string]> = {};
    try {
      for (const [name, exit] of Object.entries(EXIT)) {
        if (exit === EXIT.ok) continue;
        printed.length = 0;
        const code = reportError(new CliError('no preview runs', exit, 'start one'), true);
        codes[name] = [code, JSON.parse(printed.join('')).error.code];
      }
    } finally {
      process.stdout.write = out;
      process.stderr.write = err;
    }
    const exitOf = new Map(rows.map(([code, exit]) => [code, exit]));
    for (const [name, [code, problem]] of Object.entries(codes)) {
      expect(code, name).toBe(EXIT[name as keyof typeof EXIT]);
      // The code printed is one whose catalogue row has this exit (the daemon's own has none).
      if (name !== 'daemon') expect(exitOf.get(problem), `${name}: ${problem}`).toBe(code);
    }
    expect(codes.failure?.[1]).toBe('internal');
    expect(codes.conflict?.[1]).toBe('conflict');
    expect(codes.usage?.[1]).toBe('invalid_input');
  });
});
