import { ApiError } from '@berth/api';
import { isBerthError } from '@berth/core';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** berth's problem, as a tool reports it: a stable code, what happened, what to do next. */
export interface ToolProblem {
  code: string;
  detail: string;
  hint?: string;
}

/** A successful result: the data as JSON text (what every client shows) and as structured content. */
export function ok(data: Record<string, unknown>, text?: string): CallToolResult {
  return {
    content: [{ type: 'text', text: text ?? JSON.stringify(data, null, 2) }],
    structuredContent: data,
  };
}

const DAEMON_DOWN = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/** Any thrown value → berth's problem. Never a stack trace. */
export function toToolProblem(err: unknown): ToolProblem {
  if (err instanceof ApiError) {
    return { code: err.problem.code, detail: err.problem.detail, ...hintOf(err.problem.hint) };
  }
  if (isBerthError(err)) return { code: err.code, detail: err.message, ...hintOf(err.hint) };
  const sys = err as NodeJS.ErrnoException;
  if (sys && typeof sys.code === 'string' && DAEMON_DOWN.has(sys.code)) {
    return {
      code: 'internal',
      detail: `could not reach the berth daemon (${sys.code})`,
      hint: 'start it with `berth serve`, or check BERTH_HOME / BERTH_URL',
    };
  }
  return {
    code: 'internal',
    detail: 'berth hit an unexpected error',
    hint: 'see the daemon log (or this process’s stderr) for details',
  };
}

function hintOf(hint: string | undefined): { hint?: string } {
  return hint ? { hint } : {};
}

/**
 * An error result (`isError`), which the model reads and can act on: the detail, the hint and the
 * code as text, and the same in `_meta` for programs. No structuredContent: a tool's output schema
 * describes its success.
 */
export function toolError(err: unknown): CallToolResult {
  const p = toToolProblem(err);
  const text = `${p.detail}${p.hint ? `\nhint: ${p.hint}` : ''}\n(berth error code: ${p.code})`;
  return { isError: true, content: [{ type: 'text', text }], _meta: { 'dev.berth/problem': p } };
}

/** Runs a tool body; whatever it throws becomes an error result (the unexpected ones logged too). */
export async function guarded(
  body: () => Promise<CallToolResult>,
  opts: { onUnexpectedError?: (err: unknown) => void } = {},
): Promise<CallToolResult> {
  try {
    return await body();
  } catch (err) {
    if (toToolProblem(err).code === 'internal') opts.onUnexpectedError?.(err);
    return toolError(err);
  }
}

/** Text for the model, cut to `limit` bytes with a note saying how much was left out. */
export function clipText(buf: Buffer, limit: number, advice: string): { text: string; truncated: boolean } {
  if (buf.length <= limit) return { text: buf.toString('utf8'), truncated: false };
  const text = buf.subarray(0, limit).toString('utf8');
  return { text: `${text}\n[… ${buf.length - limit} more bytes not shown; ${advice}]`, truncated: true };
}
