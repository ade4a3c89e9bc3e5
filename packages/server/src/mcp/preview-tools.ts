/**
 * The preview_url tool: where a session's web preview answers, as its port on the berth host
 * (loopback names only) and, when the server listens on TCP, a single-use ticket link through
 * the server for a browser elsewhere.
 */
import { ApiError, type PreviewTicket, type Session } from '@berth/api';
import { InvalidInput } from '@berth/core';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import type { BerthApi, McpOptions } from './berth-mcp.js';
import { sessionName } from './session-views.js';
import { guarded, ok } from './tool-result.js';

/** The URLs a session's preview answers at, or a refusal that says why there are none. */
export function previewUrls(s: Session, host: string): string[] {
  if (!s.preview) {
    throw new InvalidInput(`session '${s.name}' has no preview running`, {
      hint: 'previews start with the session when berth knows how to serve its project; run your server with session_exec meanwhile',
    });
  }
  if (s.preview.hostPort === null) {
    throw new InvalidInput(
      `the preview of session '${s.name}' has no port on the host yet (it is ${s.status})`,
      {
        hint: s.status === 'running' ? 'try again in a moment' : 'start the session first',
      },
    );
  }
  // The host port listens on the server's loopback and answers to loopback names only (DNS
  // rebinding): another name would only be refused. From elsewhere, the link through the server.
  const h = host === 'localhost' || host === '::1' ? (host === '::1' ? '[::1]' : host) : '127.0.0.1';
  return [`http://${h}:${s.preview.hostPort}/`];
}

/**
 * A single-use ticket link to the preview through the berth server, or null when the server does
 * not listen on TCP (the API refuses a ticket then, as invalid input: there is no address to give).
 */
async function throughServer(api: BerthApi, name: string): Promise<PreviewTicket | null> {
  try {
    return await api.previewTicket(name);
  } catch (err) {
    if (err instanceof ApiError && err.problem.code === 'invalid_input') return null;
    throw err;
  }
}

export function registerPreviewTools(server: McpServer, api: BerthApi, opts: McpOptions): void {
  server.registerTool(
    'preview_url',
    {
      title: 'Preview URLs of a session',
      description:
        'Where the session’s web preview answers, when it has one running. `urls` are its port on the ' +
        'berth host (reachable from where that port is). When the berth server listens on TCP, ' +
        '`viaServer.url` is also a link through the server, for a browser anywhere that reaches berth: ' +
        'it is single-use and short-lived (it expires at `viaServer.expiresAt`, about a minute) — open it ' +
        'once, right away; the browser then keeps access to `viaServer.origin` with a cookie. Call this ' +
        'tool again for a fresh link.',
      inputSchema: { name: sessionName },
      outputSchema: {
        name: z.string(),
        urls: z.array(z.string()),
        viaServer: z.object({ url: z.string(), origin: z.string(), expiresAt: z.string() }).optional(),
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
    },
    ({ name }) =>
      guarded(async () => {
        const s = await api.getSession(name);
        const urls = previewUrls(s, opts.previewHost);
        const viaServer = await throughServer(api, s.name);
        const lines = [
          ...urls,
          ...(viaServer
            ? [
                `${viaServer.url}\n(single-use link through the berth server, valid until ${viaServer.expiresAt}; then ${viaServer.origin})`,
              ]
            : []),
        ];
        return ok({ name: s.name, urls, ...(viaServer ? { viaServer } : {}) }, lines.join('\n'));
      }, opts),
  );
}
