import { describe, expect, it } from 'vitest';
import { workspacePath } from './workspace-files.js';

describe('workspacePath', () => {
  it('makes relative paths absolute under /workspace and normalizes them', () => {
    expect(workspacePath('src/app.ts')).toBe('/workspace/src/app.ts');
    expect(workspacePath('./src//app.ts')).toBe('/workspace/src/app.ts');
    expect(workspacePath('/workspace/a/b/')).toBe('/workspace/a/b');
    expect(workspacePath('.', { allowRoot: true })).toBe('/workspace');
    expect(workspacePath('', { allowRoot: true })).toBe('/workspace');
    expect(workspacePath('/workspace/', { allowRoot: true })).toBe('/workspace');
  });

  it('refuses .., paths outside /workspace, NUL bytes and /workspace itself as a file', () => {
    for (const [input, why] of [
      ['../etc/passwd', /contains '\.\.'/],
      ['a/../../x', /contains '\.\.'/],
      ['/workspace/../etc', /contains '\.\.'/],
      ['..', /contains '\.\.'/],
      ['/etc/passwd', /outside \/workspace/],
      ['/workspace-evil/x', /outside \/workspace/],
      ['/', /outside \/workspace/],
      ['a\0b', /NUL/],
      ['/workspace', /itself is a folder/],
      ['.', /itself is a folder/],
    ] as const) {
      expect(() => workspacePath(input), input).toThrow(why);
    }
  });

  it('keeps names that look like dots or shell syntax as plain names', () => {
    expect(workspacePath('...')).toBe('/workspace/...');
    expect(workspacePath('..hidden')).toBe('/workspace/..hidden');
    expect(workspacePath('$(rm -rf /) `x`')).toBe('/workspace/$(rm -rf /) `x`');
  });
});
