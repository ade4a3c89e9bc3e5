/**
 * The MCP tools that look at and act on a session's work while it runs: session_exec (a command
 * in its /workspace), session_diff (its branch against the base) and session_egress (what it may
 * reach and what it tried). Their output is clipped to what a client can take, saying so.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { BerthApi, McpOptions } from './berth-mcp.js';
import { sessionName } from './session-views.js';
import { clipText, guarded, ok } from './tool-result.js';

/** Bytes of stdout, stderr or a diff a tool shows at most. */
export const OUTPUT_LIMIT = 256 * 1024;
const DIFF_LIMIT = 512 * 1024;

export function registerWorkTools(server: McpServer, api: BerthApi, opts: McpOptions): void {
  server.registerTool(
    'session_exec',
    {
      title: 'Run a command in a session',
      description:
        'Run a command in the session’s /workspace as its user and wait for it. `cmd` is an argument ' +
        'list, not a shell line: use ["sh", "-c", "…"] for pipes and redirections. A non-zero exit ' +
        'code is a result, not an error.',
      inputSchema: {
        name: sessionName,
        cmd: z.array(z.string().max(131072)).min(1).max(4096).describe('Command and arguments'),
        stdin: z
          .string()
          .max(8 * 1024 * 1024)
          .optional()
          .describe('Text for the command’s stdin'),
      },
      outputSchema: {
        exitCode: z.number().int(),
        stdout: z.string(),
        stderr: z.string(),
        truncated: z.boolean(),
      },
      annotations: { readOnlyHint: false, destructiveHint: true, openWorldHint: true },
    },
    ({ name, cmd, stdin }) =>
      guarded(async () => {
        const r = await api.exec(name, cmd, stdin === undefined ? undefined : Buffer.from(stdin, 'utf8'));
        const advice = 'redirect the output to a file and read parts of it';
        const out = clipText(r.stdout, OUTPUT_LIMIT, advice);
        const err = clipText(r.stderr, OUTPUT_LIMIT, advice);
        return ok({
          exitCode: r.exitCode,
          stdout: out.text,
          stderr: err.text,
          truncated: r.truncated || out.truncated || err.truncated,
        });
      }, opts),
  );

  server.registerTool(
    'session_diff',
    {
      title: 'Show a session’s changes',
      description:
        'The session branch against its base commit as a unified diff, uncommitted work included ' +
        '(new files too).',
      inputSchema: { name: sessionName },
      outputSchema: { base: z.string(), head: z.string(), diff: z.string(), truncated: z.boolean() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ name }) =>
      guarded(async () => {
        const d = await api.diff(name);
        const clipped = clipText(
          Buffer.from(d.diff, 'utf8'),
          DIFF_LIMIT,
          'see single files with git in session_exec',
        );
        return ok(
          { base: d.base, head: d.head, diff: clipped.text, truncated: clipped.truncated },
          clipped.text === '' ? `no changes against ${d.base.slice(0, 12)}` : clipped.text,
        );
      }, opts),
  );

  server.registerTool(
    'session_egress',
    {
      title: 'Show what a session may reach',
      description:
        'The session’s egress policy (mode `allowlist`, `open` or `none`, and its allow-list; null for a ' +
        'session made before berth filtered egress, on the shared network) and the connections berth’s ' +
        'egress proxy allowed and refused, the most recently seen first. Use it when a download or a ' +
        'request fails in the session.',
      inputSchema: { name: sessionName },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ name }) =>
      guarded(async () => {
        const r = await api.egress(name);
        const head = !r.egress
          ? 'unfiltered: made before berth filtered egress, on the shared network; a new session is filtered'
          : r.egress.mode === 'allowlist'
            ? `egress: allowlist (${r.egress.allow.join(', ') || 'empty'})`
            : `egress: ${r.egress.mode}`;
        const lines = [
          head,
          ...r.decisions.map(
            (d) =>
              `${d.allowed ? 'allowed' : 'refused'} ${d.port === 0 ? d.host : `${d.host}:${d.port}`} ×${d.count}: ${d.reason} (last ${d.lastAt})`,
          ),
        ];
        if (r.egress && r.decisions.length === 0) lines.push('no connections decided yet');
        return ok({ egress: r.egress, decisions: r.decisions }, lines.join('\n'));
      }, opts),
  );
}
