import { AgentSchemas as A, API_PREFIX, SessionRef } from '@berth/api';
import type { Core } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SessionAccess } from '../auth/session-access.js';
import { bridgeTerminal } from './terminal-bridge.js';

/** The agent's own terminal over a WebSocket: the same frames as the shell route. */
export const attachRoutes: FastifyPluginAsyncTypebox<{ core: Core; access: SessionAccess }> = async (
  app,
  { core, access },
) => {
  app.addHook('preValidation', async (req) => {
    const name = (req.params as { name?: string } | undefined)?.name;
    if (name !== undefined) await access.assertVisible(req.principal, name);
  });
  app.get(
    `${API_PREFIX}/sessions/:name/attach`,
    {
      websocket: true,
      schema: {
        tags: ['sessions'],
        operationId: 'attachToAgent',
        summary: "Attach to the agent's terminal (its tmux session) over a WebSocket",
        description:
          'Frames as for the shell: binary frames carry terminal bytes; text frames are JSON control ' +
          'messages (`resize`, `stdin-end`; `exit`, `error`). Closing the socket detaches: the agent ' +
          'keeps running.',
        params: SessionRef,
        querystring: A.AttachQuery,
        response: { 101: Type.Null({ description: 'Switching Protocols: the terminal follows' }) },
      },
    },
    async (socket, req) => {
      app.liveSockets.watch(req, socket);
      const session = await core.service.get(req.params.name).catch(() => null);
      await bridgeTerminal(
        socket,
        () =>
          core.service.attach(req.params.name, {
            ...(req.query.cols ? { cols: req.query.cols } : {}),
            ...(req.query.rows ? { rows: req.query.rows } : {}),
          }),
        () => {
          if (session) void core.service.noteActivity(session.id).catch(() => undefined);
        },
      );
    },
  );
};
