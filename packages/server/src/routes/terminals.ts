import { API_PREFIX, SessionRef, ShellQuery } from '@berth/api';
import type { Core, InteractiveExec } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SessionAccess } from '../auth/session-access.js';
import type { SocketRecheck } from '../auth/socket-recheck.js';
import { bridgeTerminal } from './terminal-bridge.js';
import { requireUpgrade } from './websocket-only.js';

const FRAMES =
  'Binary frames carry terminal bytes both ways. Text frames are JSON control messages: ' +
  '`{"type":"resize","cols":N,"rows":N}` and `{"type":"stdin-end"}` from the client; ' +
  '`{"type":"exit","code":N}` or `{"type":"error","problem":{…}}` from the server.';

/**
 * The session's terminals over WebSockets: a new shell (`/shell`) or the agent's own terminal
 * (`/attach`, its tmux session: closing detaches, the agent keeps running). Same frames for both;
 * every keystroke counts as activity for the idle timeout.
 */
export const terminalRoutes: FastifyPluginAsyncTypebox<{
  core: Core;
  access: SessionAccess;
  /** Closes a terminal whose principal lost its login or its sight of the session. */
  recheck: SocketRecheck;
}> = async (app, { core, access, recheck }) => {
  // Checked before the upgrade: a session this principal may not see is answered as absent.
  app.addHook('preValidation', async (req) => {
    const name = (req.params as { name?: string } | undefined)?.name;
    if (name !== undefined) await access.assertVisible(req.principal, name);
  });

  const terminal = (opts: {
    path: string;
    operationId: string;
    summary: string;
    description: string;
    open: (name: string, size: { cols?: number; rows?: number }) => Promise<InteractiveExec>;
  }) =>
    app.get(
      `${API_PREFIX}/sessions/:name/${opts.path}`,
      {
        websocket: true,
        // Without an upgrade the session is still looked up: absent is a 404, present a 426.
        preHandler: async (req) => {
          if (!req.ws) await core.service.get((req.params as { name: string }).name);
          await requireUpgrade(req);
        },
        schema: {
          tags: ['sessions'],
          operationId: opts.operationId,
          summary: opts.summary,
          description: opts.description,
          params: SessionRef,
          querystring: ShellQuery,
          response: { 101: Type.Null({ description: 'Switching Protocols: the terminal follows' }) },
        },
      },
      async (socket, req) => {
        app.liveSockets.watch(req, socket);
        const { name } = req.params as { name: string };
        const { cols, rows } = req.query as { cols?: number; rows?: number };
        const sessionId = core.service.get(name).then(
          (s) => s.id,
          () => null,
        );
        // By id: the socket stays tied to this session whatever is named `name` later.
        void sessionId.then((id) => {
          if (id && socket.readyState === socket.OPEN)
            recheck.watchTerminal(socket, req.principal, id, req.log);
        });
        await bridgeTerminal(
          socket,
          () => opts.open(name, { ...(cols ? { cols } : {}), ...(rows ? { rows } : {}) }),
          () => {
            void sessionId
              .then((id) => (id ? core.ledger.noteActivity(id) : undefined))
              .catch(() => undefined);
          },
        );
      },
    );

  terminal({
    path: 'shell',
    operationId: 'openShell',
    summary: 'Interactive TTY shell over a WebSocket',
    description: FRAMES,
    open: (name, size) => core.service.shell(name, size),
  });
  terminal({
    path: 'attach',
    operationId: 'attachToAgent',
    summary: "Attach to the agent's terminal (its tmux session) over a WebSocket",
    description: `${FRAMES} Closing the socket detaches: the agent keeps running.`,
    open: (name, size) => core.service.attach(name, size),
  });
};
