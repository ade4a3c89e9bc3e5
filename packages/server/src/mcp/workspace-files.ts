import { posix } from 'node:path';
import { InvalidInput, NotFound } from '@berth/core';

/**
 * Reading, writing and listing files of a session's `/workspace` for the MCP tools
 * (docs/security.md, "MCP tools"). Everything runs INSIDE the container, as the session's user,
 * through the same exec as `berth exec`: the host never opens a path the session could swap for
 * a symlink. The path travels as an argument (`"$1"`), never spliced into the script; every path
 * is resolved with all symlinks followed (`readlink -f`, in busybox and coreutils alike) and the
 * result must still be under `/workspace`. This keeps the tools to the working copy; it is not a
 * sandbox against the session itself, which can run anything in its own container with
 * `session_exec`.
 */

export const WORKSPACE = '/workspace';

/** What the file tools need from the daemon: `BerthClient.exec`. */
export type ExecInSession = (
  name: string,
  cmd: string[],
  stdin?: Buffer,
) => Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer }>;

/** Bytes a read returns at most; the tool says when a file was longer. */
export const READ_LIMIT = 1024 * 1024;
/** Bytes a write takes at most (the exec route takes 16 MiB of base64). */
export const WRITE_LIMIT = 8 * 1024 * 1024;
/** Entries a listing returns at most. */
export const LIST_LIMIT = 2000;

/**
 * A path as the caller gave it (relative to /workspace, or absolute under it) → the absolute,
 * normalized path. `..` is refused outright, whatever it would resolve to.
 */
export function workspacePath(input: string, opts: { allowRoot?: boolean } = {}): string {
  if (typeof input !== 'string' || input.includes('\0')) {
    throw new InvalidInput('a path must be text without NUL bytes');
  }
  const trimmed = input.trim() === '' ? '.' : input;
  if (trimmed.split('/').includes('..')) {
    throw new InvalidInput(`the path '${clip(input)}' contains '..'`, {
      hint: 'give a path inside /workspace, e.g. `src/index.ts` or `/workspace/src/index.ts`',
    });
  }
  const abs = posix.normalize(trimmed.startsWith('/') ? trimmed : posix.join(WORKSPACE, trimmed));
  const path = abs.length > 1 && abs.endsWith('/') ? abs.slice(0, -1) : abs;
  if (path !== WORKSPACE && !path.startsWith(`${WORKSPACE}/`)) {
    throw new InvalidInput(`the path '${clip(input)}' is outside /workspace`, {
      hint: 'the file tools reach only the session’s working copy; use session_exec for anything else',
    });
  }
  if (path === WORKSPACE && !opts.allowRoot) {
    throw new InvalidInput('/workspace itself is a folder, not a file', { hint: 'name a file inside it' });
  }
  return path;
}

function clip(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

// POSIX sh run by `sh -c SCRIPT berth-file ARGS...`: ARGS arrive as $1, $2, ... and are only ever
// expanded inside double quotes. Exit codes 10-17 are the refusals below; anything else failed.
const PRELUDE = `
inside() { case "$1" in /workspace|/workspace/*) return 0;; esac; return 1; }
`;

const READ_SCRIPT = `${PRELUDE}
r=$(readlink -f "$1" 2>/dev/null) || exit 10
inside "$r" || exit 11
[ -e "$r" ] || exit 10
[ -d "$r" ] && exit 12
[ -f "$r" ] || exit 13
wc -c < "$r" || exit 1
head -c "$2" "$r"
`;

const WRITE_SCRIPT = `${PRELUDE}
p=$1; d=\${p%/*}; [ -n "$d" ] || d=/
a=$d
while [ ! -e "$a" ] && [ ! -L "$a" ]; do a=\${a%/*}; [ -n "$a" ] || a=/; done
ra=$(readlink -f "$a" 2>/dev/null) || exit 10
inside "$ra" || exit 11
if [ "$a" != "$d" ]; then
  [ "$2" = 1 ] || exit 14
  mkdir -p "$d" || exit 1
fi
rd=$(readlink -f "$d" 2>/dev/null) || exit 10
inside "$rd" || exit 11
[ -d "$rd" ] || exit 15
t=$rd/\${p##*/}
if [ -L "$t" ]; then t=$(readlink -f "$t" 2>/dev/null) || exit 17; inside "$t" || exit 11; fi
[ -d "$t" ] && exit 12
[ ! -e "$t" ] || [ -f "$t" ] || exit 13
cat > "$t" || exit 1
printf '%s' "\${t#/workspace/}"
`;

// Three NUL-separated groups (folders, symlinks, other files), each ended by an empty record:
// find prints absolute paths, so an empty one cannot be a file. .git is left out.
const LIST_SCRIPT = `${PRELUDE}
r=$(readlink -f "$1" 2>/dev/null) || exit 10
inside "$r" || exit 11
[ -e "$r" ] || exit 10
[ -d "$r" ] || exit 16
printf '%s\\0' "$r"
find "$r" -mindepth 1 -maxdepth "$2" -name .git -prune -o -type d -print0; printf '\\0'
find "$r" -mindepth 1 -maxdepth "$2" -name .git -prune -o -type l -print0; printf '\\0'
find "$r" -mindepth 1 -maxdepth "$2" -name .git -prune -o ! -type d ! -type l -print0; printf '\\0'
`;

const run = (exec: ExecInSession, session: string, script: string, args: string[], stdin?: Buffer) =>
  exec(session, ['sh', '-c', script, 'berth-file', ...args], stdin);

/** Turns a refusal exit code into berth's error for `path`. */
function refusal(code: number, shown: string, stderr: Buffer): Error {
  switch (code) {
    case 10:
      return new NotFound(`nothing at '${shown}' in the session's /workspace`, {
        hint: 'list what is there with file_list',
      });
    case 11:
      return new InvalidInput(`'${shown}' leads outside /workspace (through a symlink)`, {
        hint: 'the file tools reach only the session’s working copy; use session_exec for anything else',
      });
    case 12:
      return new InvalidInput(`'${shown}' is a folder`, { hint: 'list it with file_list' });
    case 13:
      return new InvalidInput(`'${shown}' is not a regular file (a device, socket or pipe)`, {
        hint: 'use session_exec to work with it',
      });
    case 14:
      return new NotFound(`the folder of '${shown}' does not exist`, {
        hint: 'pass createDirs: true to make it',
      });
    case 15:
      return new InvalidInput(`the parent of '${shown}' is not a folder`, {
        hint: 'pick another path with file_list',
      });
    case 16:
      return new InvalidInput(`'${shown}' is a file, not a folder`, { hint: 'read it with file_read' });
    case 17:
      return new InvalidInput(`'${shown}' is a symlink into a folder that does not exist`, {
        hint: 'remove the symlink or make its target first',
      });
    default: {
      const why = stderr.toString('utf8').trim().slice(0, 500);
      return new InvalidInput(
        `'${shown}': the command in the session failed (exit ${code})${why ? `: ${why}` : ''}`,
        {
          hint: 'check the file’s permissions with session_exec (`ls -la`)',
        },
      );
    }
  }
}

const shownPath = (abs: string) => (abs === WORKSPACE ? '.' : abs.slice(WORKSPACE.length + 1));

export interface ReadResult {
  path: string;
  size: number;
  bytes: Buffer;
  truncated: boolean;
}

export async function readWorkspaceFile(
  exec: ExecInSession,
  session: string,
  path: string,
  limit = READ_LIMIT,
): Promise<ReadResult> {
  const abs = workspacePath(path);
  const r = await run(exec, session, READ_SCRIPT, [abs, String(limit)]);
  if (r.exitCode !== 0) throw refusal(r.exitCode, shownPath(abs), r.stderr);
  const nl = r.stdout.indexOf(0x0a);
  const size = Number(r.stdout.subarray(0, nl).toString('utf8').trim());
  const bytes = r.stdout.subarray(nl + 1);
  return { path: shownPath(abs), size, bytes, truncated: size > bytes.length };
}

export async function writeWorkspaceFile(
  exec: ExecInSession,
  session: string,
  path: string,
  bytes: Buffer,
  opts: { createDirs?: boolean } = {},
): Promise<{ path: string; size: number }> {
  const abs = workspacePath(path);
  if (bytes.length > WRITE_LIMIT) {
    throw new InvalidInput(`the content is ${bytes.length} bytes; a write takes at most ${WRITE_LIMIT}`, {
      hint: 'write the file in parts (session_exec with `cat >>`), or bring it in through git',
    });
  }
  const r = await run(exec, session, WRITE_SCRIPT, [abs, opts.createDirs ? '1' : '0'], bytes);
  if (r.exitCode !== 0) throw refusal(r.exitCode, shownPath(abs), r.stderr);
  return { path: r.stdout.toString('utf8') || shownPath(abs), size: bytes.length };
}

export type EntryType = 'dir' | 'symlink' | 'file';

export interface ListResult {
  path: string;
  entries: { path: string; type: EntryType }[];
  truncated: boolean;
}

export async function listWorkspace(
  exec: ExecInSession,
  session: string,
  path: string,
  depth = 1,
): Promise<ListResult> {
  const abs = workspacePath(path, { allowRoot: true });
  if (!Number.isInteger(depth) || depth < 1 || depth > 10) {
    throw new InvalidInput(`depth ${depth}: expected a whole number from 1 to 10`);
  }
  const r = await run(exec, session, LIST_SCRIPT, [abs, String(depth)]);
  if (r.exitCode !== 0) throw refusal(r.exitCode, shownPath(abs), r.stderr);
  const records = r.stdout.toString('utf8').split('\0');
  const root = records.shift() ?? WORKSPACE;
  const entries: ListResult['entries'] = [];
  const types: EntryType[] = ['dir', 'symlink', 'file'];
  let group = 0;
  for (const rec of records) {
    if (rec === '') {
      group++;
      continue;
    }
    const type = types[group];
    if (type && rec.startsWith(`${root}/`)) entries.push({ path: shownPath(rec), type });
  }
  entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    path: shownPath(root),
    entries: entries.slice(0, LIST_LIMIT),
    truncated: entries.length > LIST_LIMIT,
  };
}
