/**
 * The MCP tools that drive a session's agent: send_prompt (its next prompt, typed into its
 * terminal) and wait_for_agent (until its turn is done, it needs a person, or it exited, held
 * under the minute MCP clients give a call).
 */
import { MAX_WAIT_SECONDS, type Session, WAITABLE_STATES } from '@berth/api';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { BerthApi, McpOptions } from './berth-mcp.js';
import { sessionName, sessionSummary } from './session-views.js';
import { guarded, ok } from './tool-result.js';

/**
 * How long wait_for_agent holds by default: under the minute many MCP clients give a tool call
 * (the SDK's own default), so the call answers `timeout` before the client gives up on it.
 */
export const MCP_WAIT_DEFAULT_SECONDS = 50;

/** One line about where an agent is: `fix-login: idle`, `… exited (code 1)`. */
function agentLine(s: Session, reached: string): string {
  if (reached === 'timeout') return `${s.name}: ${s.agentStatus ?? 'no agent status'} (timed out waiting)`;
  if (reached === 'exited')
    return `${s.name}: exited${s.agentExitCode === null ? '' : ` (code ${s.agentExitCode})`}`;
  if (reached === 'needs-input')
    return `${s.name}: needs-input (a person answers it with \`berth attach ${s.name}\`)`;
  return `${s.name}: ${reached}`;
}

export function registerAgentTools(server: McpServer, api: BerthApi, opts: McpOptions): void {
  server.registerTool(
    'send_prompt',
    {
      title: 'Send an agent its next prompt',
      description:
        'Type `text` into a running agent session’s agent as its next prompt (one paste, then Enter), as ' +
        'a person at its terminal would. It then counts as working: wait_for_agent tells when its turn is ' +
        'done. Refused for a session that runs no agent or is not running.',
      inputSchema: {
        session: sessionName,
        text: z.string().min(1).max(65536).describe('The prompt: plain text, never run by a shell'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    ({ session, text }) =>
      guarded(async () => {
        const s = await api.sendPrompt(session, text);
        return ok(sessionSummary(s), `sent to ${s.name}: its agent is ${s.agentStatus ?? 'starting'}`);
      }, opts),
  );

  server.registerTool(
    'wait_for_agent',
    {
      title: 'Wait for an agent',
      description:
        'Wait until an agent session’s agent is in one of `for` (default: idle, needs-input, exited): ' +
        '`idle` means its turn is done, `needs-input` that it waits for a person, `exited` that its ' +
        'process ended. Answers at once when it already is. After `timeout_seconds` it answers ' +
        '`reached: "timeout"` with what the agent is doing: call again to wait longer.',
      inputSchema: {
        session: sessionName,
        for: z
          .array(z.enum(WAITABLE_STATES))
          .min(1)
          .max(3)
          .optional()
          .describe('The states to wait for (default all three)'),
        timeout_seconds: z
          .number()
          .int()
          .min(1)
          .max(MAX_WAIT_SECONDS)
          .optional()
          .describe(
            `How long to wait at most (default ${MCP_WAIT_DEFAULT_SECONDS}, at most ${MAX_WAIT_SECONDS})`,
          ),
      },
      outputSchema: {
        reached: z.enum([...WAITABLE_STATES, 'timeout']),
        session: z.record(z.string(), z.unknown()),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ session, for: states, timeout_seconds }) =>
      guarded(async () => {
        const r = await api.waitForAgent(session, {
          ...(states ? { for: states } : {}),
          timeoutSeconds: timeout_seconds ?? MCP_WAIT_DEFAULT_SECONDS,
        });
        return ok(
          { reached: r.reached, session: sessionSummary(r.session) },
          agentLine(r.session, r.reached),
        );
      }, opts),
  );
}
