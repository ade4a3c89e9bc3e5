import { BerthClient } from '@berth/api/node';
import { Forbidden, InvalidInput } from '@berth/core';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { originMatches } from '../auth/auth.js';
import { problem } from '../problems.js';
import { createBerthMcpServer } from './berth-mcp.js';
import { dispatchAs } from './in-process-dispatch.js';

export const MCP_PATH = '/mcp';
/** A file_write carries up to 8 MiB, base64 or JSON-escaped: room for that and the envelope. */
const MCP_BODY_LIMIT = 16 * 1024 * 1024;

const doc = (operationId: string, summary: string, description: string) => ({
  tags: ['mcp'],
  operationId,
  summary,
  description,
});

/** `localhost:8080` → `localhost`; `[::1]:8080` → `::1`. */
function hostNameOf(host: string | undefined): string {
  try {
    return new URL(`http://${host ?? 'localhost'}`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return 'localhost';
  }
}

/**
 * The MCP endpoint: Streamable HTTP in stateless mode (the SDK's advice for a server with no
 * server-initiated messages), one MCP server per POST, made for the caller. It sits behind the
 * same auth hook as the API (bearer token on TCP, Host checked; the unix socket is local), and
 * refuses what the hook lets through for browsers: a foreign Origin (DNS rebinding, drive-by
 * pages; only the server's own and BERTH_CORS_ORIGINS pass) and login cookies, which a browser
 * would attach on its own.
 */
export const mcpRoutes: FastifyPluginAsync<{ corsOrigins?: string[] }> = async (app, opts) => {
  // Pages on the origins the operator allowed for the API (BERTH_CORS_ORIGINS) may call it too.
  const allowed = new Set(opts.corsOrigins ?? []);
  const guard = (req: FastifyRequest) => {
    if (!originMatches(req) && !allowed.has(req.headers.origin ?? '')) {
      throw new Forbidden('MCP requests from another site are refused', {
        hint: 'connect an MCP client directly (no Origin header), or from berth’s own address',
      });
    }
    if (req.principal?.kind === 'user' && req.principal.via === 'cookie') {
      throw new Forbidden('the MCP endpoint takes a bearer token, not a login cookie', {
        hint: 'create one with `berth token create` and send `Authorization: Bearer <token>`',
      });
    }
  };

  app.post(
    MCP_PATH,
    {
      bodyLimit: MCP_BODY_LIMIT,
      schema: doc(
        'mcp',
        'Model Context Protocol (Streamable HTTP, stateless)',
        'JSON-RPC messages of MCP. Send `Accept: application/json, text/event-stream`; answers are JSON or an SSE stream. Tools: session_create, session_list, session_get, session_exec, file_read, file_write, file_list, session_diff, session_finish, session_cancel, preview_url.',
      ),
    },
    async (req, reply) => {
      guard(req);
      const accept = req.headers.accept ?? '';
      if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
        throw new InvalidInput('MCP clients must accept both application/json and text/event-stream', {
          hint: 'send `Accept: application/json, text/event-stream`',
        });
      }
      if (req.body === null || typeof req.body !== 'object') {
        throw new InvalidInput('the body must be a JSON-RPC message or a batch of them');
      }
      const api = new BerthClient({ dispatch: dispatchAs(app, req) });
      const server = createBerthMcpServer(api, {
        previewHost: hostNameOf(req.headers.host),
        onUnexpectedError: (err) => req.log.error({ err }, 'an MCP tool failed'),
      });
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req.raw, reply.raw, req.body);
    },
  );

  // Stateless: no server-initiated stream to open (GET) and no MCP session to end (DELETE).
  const notHere = async (req: FastifyRequest, reply: FastifyReply) => {
    guard(req);
    return reply
      .code(405)
      .header('allow', 'POST')
      .type('application/problem+json')
      .send(
        problem(
          'invalid_input',
          `${req.method} ${MCP_PATH}: this MCP endpoint is stateless and takes POST only`,
          'send JSON-RPC messages with POST',
          405,
        ),
      );
  };
  app.get(
    MCP_PATH,
    { schema: doc('mcpGet', 'Not offered: the MCP endpoint is stateless (405)', 'POST only') },
    notHere,
  );
  app.delete(
    MCP_PATH,
    { schema: doc('mcpDelete', 'Not offered: no MCP sessions to end (405)', 'POST only') },
    notHere,
  );
};
