/** How much a diff changes: files touched, lines added and removed. */
export interface DiffStat {
  files: number;
  additions: number;
  deletions: number;
}

const HUNK = /^@@ -\d+(?:,(\d+))? \+\d+(?:,(\d+))? @@/;

/**
 * Counts a unified diff (`git diff` output, or plain `diff -u`): each `diff --git` header (or,
 * without those, each `--- `/`+++ ` pair) is a file; lines are counted inside hunks by the hunk
 * headers' lengths, so a removed line that reads `-- x` or an added `++ y` is still a line, not a
 * header. Binary files, renames and mode changes count as files with no lines. Pure: any string
 * gives an answer, garbage gives zeros.
 */
export function diffStat(diff: string): DiffStat {
  const lines = diff.split('\n');
  const gitHeaders = lines.some((l) => l.startsWith('diff --git '));
  let files = 0;
  let additions = 0;
  let deletions = 0;
  // Lines still to come in the current hunk: old side, new side.
  let oldLeft = 0;
  let newLeft = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (oldLeft > 0 || newLeft > 0) {
      const c = line[0];
      if (c === '+' && newLeft > 0) {
        additions++;
        newLeft--;
      } else if (c === '-' && oldLeft > 0) {
        deletions++;
        oldLeft--;
      } else if (c === ' ' || (line === '' && i < lines.length - 1)) {
        // Context (some tools drop the space of an empty context line).
        oldLeft = Math.max(0, oldLeft - 1);
        newLeft = Math.max(0, newLeft - 1);
      } else if (c === '\\') {
        // "\ No newline at end of file": not a line of either side.
      } else {
        // A line that cannot be in this hunk: the diff is cut short or malformed; read on as headers.
        oldLeft = 0;
        newLeft = 0;
        i--;
      }
      continue;
    }
    const hunk = HUNK.exec(line);
    if (hunk) {
      oldLeft = hunk[1] === undefined ? 1 : Number(hunk[1]);
      newLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      continue;
    }
    if (gitHeaders) {
      if (line.startsWith('diff --git ')) files++;
    } else if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      files++;
      i++;
    }
  }
  return { files, additions, deletions };
}
