import { describe, expect, it } from 'vitest';
import { diffStat } from './diff-stat.js';

const TWO_FILES = [
  'diff --git a/src/login.ts b/src/login.ts',
  'index 1111111..2222222 100644',
  '--- a/src/login.ts',
  '+++ b/src/login.ts',
  '@@ -1,4 +1,5 @@',
  ' import { a } from "a";',
  '-const x = 1;',
  '+const x = 2;',
  '+const y = 3;',
  ' ',
  ' export { x };',
  '@@ -10 +11 @@ function f() {',
  '-  return 1;',
  '+  return 2;',
  'diff --git a/README.md b/README.md',
  'new file mode 100644',
  'index 0000000..3333333',
  '--- /dev/null',
  '+++ b/README.md',
  '@@ -0,0 +1,2 @@',
  '+# Shop',
  '+',
  '',
].join('\n');

describe('diffStat', () => {
  it('counts files, added and removed lines of a git diff', () => {
    expect(diffStat(TWO_FILES)).toEqual({ files: 2, additions: 5, deletions: 2 });
  });

  it('answers zeros for no diff and for garbage', () => {
    expect(diffStat('')).toEqual({ files: 0, additions: 0, deletions: 0 });
    expect(diffStat('hello\n+not a hunk\n-nor this')).toEqual({ files: 0, additions: 0, deletions: 0 });
  });

  it('counts lines that look like headers inside a hunk as lines', () => {
    const d = [
      'diff --git a/notes.md b/notes.md',
      '--- a/notes.md',
      '+++ b/notes.md',
      '@@ -1,2 +1,2 @@',
      '--- an old rule',
      '-diff --git is not a header here',
      '+++ a new rule',
      '+@@ nor is this @@',
      '',
    ].join('\n');
    expect(diffStat(d)).toEqual({ files: 1, additions: 2, deletions: 2 });
  });

  it('counts binary files, renames and deletions as files', () => {
    const d = [
      'diff --git a/logo.png b/logo.png',
      'index 1111111..2222222 100644',
      'Binary files a/logo.png and b/logo.png differ',
      'diff --git a/old.ts b/new.ts',
      'similarity index 100%',
      'rename from old.ts',
      'rename to new.ts',
      'diff --git a/gone.txt b/gone.txt',
      'deleted file mode 100644',
      '--- a/gone.txt',
      '+++ /dev/null',
      '@@ -1,3 +0,0 @@',
      '-one',
      '-two',
      '-three',
      '',
    ].join('\n');
    expect(diffStat(d)).toEqual({ files: 3, additions: 0, deletions: 3 });
  });

  it('ignores "no newline" markers, and reads a plain unified diff without git headers', () => {
    const d = [
      '--- a.txt\t2025-06-01',
      '+++ b.txt\t2025-06-02',
      '@@ -1 +1 @@',
      '-old',
      '\\ No newline at end of file',
      '+new',
      '\\ No newline at end of file',
      '--- c.txt',
      '+++ c.txt',
      '@@ -1,0 +1 @@',
      '+added',
    ].join('\n');
    expect(diffStat(d)).toEqual({ files: 2, additions: 2, deletions: 1 });
  });

  it('stops a hunk that is cut short at the next header, and takes an empty line in a hunk as context', () => {
    const d = [
      'diff --git a/a b/a',
      '--- a/a',
      '+++ b/a',
      '@@ -1,5 +1,5 @@',
      '-x',
      '+y',
      'diff --git a/b b/b',
      '--- a/b',
      '+++ b/b',
      '@@ -1,3 +1,3 @@',
      ' one',
      '',
      '-three',
      '+THREE',
    ].join('\n');
    expect(diffStat(d)).toEqual({ files: 2, additions: 2, deletions: 2 });
  });
});
