import { ApiError } from '@berth/api';
import type { ErrorCode } from '@berth/core';

/** Exit codes scripts can rely on (README: "Exit codes"). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  notFound: 3,
  conflict: 4,
  limit: 5,
  engine: 6,
  daemon: 7,
  auth: 8,
} as const;

// Every code berth has, so a new one cannot quietly exit 1: docs/errors.md's "CLI exit" column.
const EXIT_BY_CODE: Record<ErrorCode, number> = {
  invalid_input: EXIT.usage,
  not_found: EXIT.notFound,
  conflict: EXIT.conflict,
  illegal_transition: EXIT.conflict,
  limit_reached: EXIT.limit,
  engine_unavailable: EXIT.engine,
  engine_error: EXIT.engine,
  unauthorized: EXIT.auth,
  forbidden: EXIT.auth,
  rate_limited: EXIT.limit,
  git_error: EXIT.failure,
  image_error: EXIT.failure,
  preview_error: EXIT.failure,
  upgrade_required: EXIT.failure,
  internal: EXIT.failure,
};

/** A code from the wire: a newer server may send one this CLI does not know (and `constructor` is no code). */
const exitOf = (code: string): number =>
  Object.hasOwn(EXIT_BY_CODE, code) ? EXIT_BY_CODE[code as ErrorCode] : EXIT.failure;

/**
 * The catalogue's code an error the CLI finds itself prints under `--json`: the first whose exit
 * code is this one (a usage error is invalid_input, a conflict conflict); `internal` for a plain
 * failure and for the daemon's exit, which has no code of the API's.
 */
const codeOfExit = (exit: number): ErrorCode =>
  exit === EXIT.failure
    ? 'internal'
    : ((Object.keys(EXIT_BY_CODE) as ErrorCode[]).find((c) => EXIT_BY_CODE[c] === exit) ?? 'internal');

const useColor = () => !process.env.NO_COLOR && process.stdout.isTTY === true;
const paint = (code: number) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s);
export const bold = paint(1);
export const dim = paint(2);
export const red = paint(31);
export const green = paint(32);
export const yellow = paint(33);

export const STATUS_COLOR: Record<string, (s: string) => string> = {
  running: green,
  paused: yellow,
  stopped: dim,
  creating: yellow,
  failed: red,
  finished: bold,
  cancelled: dim,
};

/** An agent's state as `berth ls` and `berth show` print it: needs-input stands out. */
export const AGENT_STATUS_COLOR: Record<string, (s: string) => string> = {
  starting: dim,
  working: green,
  'needs-input': yellow,
  idle: String,
  exited: dim,
};

/** `claude: working`, with its colour; blank for a session that runs no agent. */
export function agentCell(s: { agent: string | null; agentStatus: string | null }): string {
  if (!s.agent) return '';
  if (!s.agentStatus) return s.agent;
  return `${s.agent}: ${(AGENT_STATUS_COLOR[s.agentStatus] ?? String)(s.agentStatus)}`;
}

/** An error the CLI raises itself, with the same shape as the server's problems. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    readonly hint?: string,
  ) {
    super(message);
  }
}

// Newline and tab stay; every other C0/C1 control character goes (ESC and BEL start terminal escapes).
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from the server (an error's detail, a session's status reason, its task) made safe to
 * print: it can carry what a container or another user wrote, and a terminal obeys escapes in it
 * (set the clipboard, retitle the window). JSON output needs none of this: it escapes them itself.
 */
export function inert(text: string): string {
  return text.replace(CONTROL, '');
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: measuring text without its colour escapes
const ANSI = /\x1b\[[0-9;]*m/g;
const visible = (s: string) => s.replace(ANSI, '').length;

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    r.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, visible(cell));
    });
  }
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell))))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function progress(step: string): void {
  process.stderr.write(`${dim('…')} ${inert(step)}\n`);
}

/** One line saying what happened, one saying what to do; the exit code says which kind. */
export function reportError(err: unknown, json: boolean): number {
  let message: string;
  let hint: string | undefined;
  let code: number = EXIT.failure;
  let problemCode = 'internal';
  if (err instanceof ApiError) {
    message = err.message;
    hint = err.hint;
    problemCode = err.code;
    code = exitOf(err.code);
  } else if (err instanceof CliError) {
    message = err.message;
    hint = err.hint;
    code = err.exitCode;
    problemCode = codeOfExit(err.exitCode);
  } else if (err && typeof err === 'object' && 'code' in err && 'hint' in err) {
    const e = err as { message: string; hint?: string; code: string };
    message = e.message;
    hint = e.hint;
    problemCode = e.code;
    code = exitOf(e.code);
  } else {
    message = err instanceof Error ? err.message : String(err);
  }
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ error: { code: problemCode, message, ...(hint ? { hint } : {}) } })}\n`,
    );
  }
  process.stderr.write(`${red('error:')} ${inert(message)}\n`);
  if (hint) process.stderr.write(`  ${dim('→')} ${inert(hint)}\n`);
  return code;
}
