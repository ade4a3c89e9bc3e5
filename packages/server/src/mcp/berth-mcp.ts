import { BERTH_VERSION } from '@berth/api';
import type { BerthClient } from '@berth/api/node';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { registerFileTools } from './file-tools.js';
import { registerSessionTools } from './session-tools.js';
import { toToolProblem } from './tool-result.js';

/**
 * What the MCP tools need from berth: a slice of the API client. `berth mcp` (stdio) hands in a
 * BerthClient on the daemon's socket or URL; the daemon's `/mcp` hands in one that dispatches to
 * its own routes as the caller, so both go through the same routes, auth, access and audit.
 */
export type BerthApi = Pick<
  BerthClient,
  | 'listSessions'
  | 'getSession'
  | 'createSession'
  | 'exec'
  | 'diff'
  | 'egress'
  | 'finish'
  | 'act'
  | 'logs'
  | 'previewTicket'
  | 'sendPrompt'
  | 'waitForAgent'
>;

export interface McpOptions {
  /** The host name preview URLs are made with (the one the client reaches berth by). */
  previewHost: string;
  /** Called with errors that are not berth's own (bugs, a daemon gone): for the log. */
  onUnexpectedError?: (err: unknown) => void;
}

/** The JSON-RPC code MCP gives a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

/** Lines of a session's log a resource read returns. */
export const LOG_TAIL = 200;

const INSTRUCTIONS = `berth runs each piece of work in its own session: a container with a working copy of a git repository at /workspace, on its own branch berth/<name>.
Typical flow: session_create (name, repo; or agent and prompt to have a coding agent do the work) → file_list / file_read / file_write and session_exec to work → session_diff to review → session_finish (message) to commit onto the branch, or session_cancel to throw the work away.
An agent session takes its next prompt with send_prompt; wait_for_agent waits until its agent is idle (its turn is done), needs input or has exited.
When a download or a request fails in a session, session_egress shows what berth's egress proxy allowed and refused for it.
Each session's container output is the resource berth://sessions/{name}/logs.`;

/** One MCP server with berth's tools and resources, over the given API; connect it to a transport. */
export function createBerthMcpServer(api: BerthApi, opts: McpOptions): McpServer {
  const server = new McpServer(
    { name: 'berth', title: 'berth', version: BERTH_VERSION },
    { instructions: INSTRUCTIONS },
  );
  registerSessionTools(server, api, opts);
  registerFileTools(server, api, opts);

  server.registerResource(
    'session-logs',
    new ResourceTemplate('berth://sessions/{name}/logs', {
      list: async () => {
        const sessions = await api.listSessions().catch(() => []);
        return {
          resources: sessions
            .filter((s) => s.status === 'running' || s.status === 'paused' || s.status === 'stopped')
            .map((s) => ({
              uri: `berth://sessions/${encodeURIComponent(s.name)}/logs`,
              name: `${s.name} logs`,
              mimeType: 'text/plain',
            })),
        };
      },
    }),
    {
      title: 'Session logs',
      description: `The last ${LOG_TAIL} lines of a session’s container output`,
      mimeType: 'text/plain',
    },
    async (uri, { name }) => {
      const ref = decodeURIComponent(String(Array.isArray(name) ? name[0] : name));
      try {
        const stream = await api.logs(ref, { tail: LOG_TAIL });
        const parts: Buffer[] = [];
        for await (const c of stream) parts.push(Buffer.isBuffer(c) ? c : Buffer.from(String(c)));
        return {
          contents: [{ uri: uri.href, mimeType: 'text/plain', text: Buffer.concat(parts).toString('utf8') }],
        };
      } catch (err) {
        // A resource read has no isError: the problem travels as a JSON-RPC error, berth's code in its data.
        const p = toToolProblem(err);
        if (p.code === 'internal') opts.onUnexpectedError?.(err);
        const rpc =
          p.code === 'not_found'
            ? RESOURCE_NOT_FOUND
            : p.code === 'internal'
              ? ErrorCode.InternalError
              : ErrorCode.InvalidParams;
        throw new McpError(rpc, `${p.detail}${p.hint ? ` (hint: ${p.hint})` : ''}`, p);
      }
    },
  );
  return server;
}
