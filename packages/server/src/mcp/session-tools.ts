import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { registerAgentTools } from './agent-prompt-tools.js';
import type { BerthApi, McpOptions } from './berth-mcp.js';
import { registerPreviewTools } from './preview-tools.js';
import { registerCreateTool } from './session-create-tool.js';
import { sessionDetail, sessionName, sessionSummary } from './session-views.js';
import { registerWorkTools } from './session-work-tools.js';
import { guarded, ok } from './tool-result.js';

const STATUSES = ['creating', 'running', 'paused', 'stopped', 'finished', 'cancelled', 'failed'] as const;

/**
 * berth's session tools for MCP, registered in the order clients list them: listing and showing
 * sessions, creating one (session-create-tool.ts), its work (session-work-tools.ts), finishing or
 * cancelling it, its preview (preview-tools.ts) and its agent (agent-prompt-tools.ts).
 */
export function registerSessionTools(server: McpServer, api: BerthApi, opts: McpOptions): void {
  server.registerTool(
    'session_list',
    {
      title: 'List sessions',
      description:
        'List berth sessions (isolated containers, each with its own git branch of a repository). ' +
        'Optionally only those with the given statuses.',
      inputSchema: {
        status: z.array(z.enum(STATUSES)).optional().describe('Only sessions in these statuses'),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ status }) =>
      guarded(async () => {
        const wanted = status && status.length > 0 ? new Set<string>(status) : null;
        const sessions = (await api.listSessions()).filter((s) => !wanted || wanted.has(s.status));
        return ok({ sessions: sessions.map(sessionSummary) });
      }, opts),
  );

  server.registerTool(
    'session_get',
    {
      title: 'Show a session',
      description: 'One session in detail: status, branch, base commit, limits, preview.',
      inputSchema: { name: sessionName },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ name }) => guarded(async () => ok(sessionDetail(await api.getSession(name))), opts),
  );

  registerCreateTool(server, api, opts);
  registerWorkTools(server, api, opts);

  server.registerTool(
    'session_finish',
    {
      title: 'Finish a session',
      description:
        'Commit all changes onto the session branch `berth/<name>` with this message, then remove the ' +
        'container and working copy. The branch stays in the repository for review; push and merge ' +
        'are optional. A merge conflict or a failed push changes nothing and the session keeps running.',
      inputSchema: {
        name: sessionName,
        message: z.string().min(1).max(65536).describe('The commit message'),
        push: z.boolean().optional().describe('Also push berth/<name> to the session’s remote'),
        merge: z
          .boolean()
          .optional()
          .describe('Also merge berth/<name> into the base branch (a remote session needs push too)'),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: true,
      },
    },
    ({ name, message, push, merge }) =>
      guarded(async () => {
        const flags = { ...(push !== undefined ? { push } : {}), ...(merge !== undefined ? { merge } : {}) };
        return ok(sessionSummary(await api.finish(name, message, flags)));
      }, opts),
  );

  server.registerTool(
    'session_cancel',
    {
      title: 'Cancel a session',
      description: 'Throw a session’s work away: remove its container, working copy and branch.',
      inputSchema: { name: sessionName },
      annotations: {
        readOnlyHint: false,
        destructiveHint: true,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ name }) => guarded(async () => ok(sessionSummary(await api.act(name, 'cancel'))), opts),
  );

  registerPreviewTools(server, api, opts);
  registerAgentTools(server, api, opts);
}
