/** A unified diff, each line coloured by what it is: file header, hunk, added, removed, context. */
export function DiffView({ diff }: { diff: string }) {
  const lines = diff.replace(/\n$/, '').split('\n');
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to scroll by keyboard.
    <pre className="diff" tabIndex={0}>
      {lines.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a diff's lines are shown once, never reordered.
        <span key={i} className={`diff-line ${classOf(line)}`}>
          {line}
          {'\n'}
        </span>
      ))}
    </pre>
  );
}

function classOf(line: string): string {
  if (
    line.startsWith('diff --git') ||
    line.startsWith('+++ ') ||
    line.startsWith('--- ') ||
    line.startsWith('index ')
  ) {
    return 'diff-file';
  }
  if (line.startsWith('@@')) return 'diff-hunk';
  if (line.startsWith('+')) return 'diff-add';
  if (line.startsWith('-')) return 'diff-del';
  return 'diff-context';
}

/** The files a diff touches, from its `diff --git a/X b/X` headers. */
export function filesOf(diff: string): string[] {
  return [...diff.matchAll(/^diff --git a\/(.+?) b\//gm)].map((m) => m[1]!);
}
