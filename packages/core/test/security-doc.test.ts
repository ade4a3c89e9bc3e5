import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SELF = 'packages/core/test/security-doc.test.ts';
const doc = readFileSync(join(ROOT, 'docs/security.md'), 'utf8');
const headings = new Set([...doc.matchAll(/^## (.+)$/gm)].map((m) => m[1]!.trim()));

/** The repository's text files as a clone has them: tracked, or new and not ignored. */
function repoFiles(): string[] {
  return execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f !== '' && f !== SELF && existsSync(join(ROOT, f)))
    .filter((f) => statSync(join(ROOT, f)).size < 2_000_000 && !/\.(png|jpe?g|gif|ico|woff2?)$/.test(f));
}

// Pieces, so that this file does not match itself.
const OUTSIDE = [
  new RegExp(['\\.\\.', 'shared', ''].join('/')), // ../shared/
  new RegExp(['', 'work', 'shared'].join('/')), // /work/shared
  new RegExp(['FIELD', 'NOTES'].join('-')),
  new RegExp(`\\b${['SECURITY', 'md'].join('\\.')}\\b`), // the old name; the page is docs/security.md
];

describe('docs/security.md', () => {
  it('is what the repository points at: nothing points outside it', () => {
    const hits: string[] = [];
    for (const f of repoFiles()) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (OUTSIDE.some((re) => re.test(line))) hits.push(`${f}:${i + 1}: ${line.trim().slice(0, 100)}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('names test files that exist', () => {
    const named = [...new Set([...doc.matchAll(/`(packages\/[\w./-]+\.ts)`/g)].map((m) => m[1]!))];
    expect(named.filter((f) => f.includes('.test.')).length).toBeGreaterThanOrEqual(20);
    expect(named.filter((f) => !existsSync(join(ROOT, f)))).toEqual([]);
  });

  it('has every section that code and tests cite by name', () => {
    const cited: string[] = [];
    for (const f of repoFiles().filter((x) => /\.(ts|tsx|sh|md)$/.test(x))) {
      const text = readFileSync(join(ROOT, f), 'utf8');
      for (const m of text.matchAll(/docs\/security\.md(?:'s)?,?\s*\(?"([^"]+)"/g))
        cited.push(`${f}: ${m[1]}`);
    }
    expect(cited.length).toBeGreaterThanOrEqual(5);
    expect(cited.filter((c) => !headings.has(c.split(': ')[1]!))).toEqual([]);
  });

  it('says what is not covered yet', () => {
    const gaps = doc.slice(doc.indexOf('## Not covered yet'));
    // Egress is filtered (its own section); what stays unfiltered is named.
    expect(doc).toMatch(/^## Egress$/m);
    expect(gaps).toMatch(/Sessions made unfiltered stay so/);
    expect(gaps).toMatch(/berth in a container makes unfiltered sessions/);
    // The key broker keeps the built-in CLIs' keys out; what it does not stand in for is named.
    expect(gaps).toMatch(/Keys the broker does not stand in for are readable inside the session/);
    expect(doc).toMatch(/Model API keys never enter the sandbox: the key broker/);
  });
});
