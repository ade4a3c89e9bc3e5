import { API_PREFIX, SessionRef, ShellQuery } from '@berth/api';
import type { Core } from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SessionAccess } from '../auth/session-access.js';
import { toProblem } from '../problems.js';

/** Interactive TTY over a WebSocket: binary frames are terminal bytes, text frames are control. */
export const shellRoutes: FastifyPluginAsyncTypebox<{ core: Core; access: SessionAccess }> = async (
  app,
  { core, access },
) => {
  // Checked before the upgrade: a session this principal may not see is answered as absent.
  app.addHook('preValidation', async (req) => {
    const name = (req.params as { name?: string } | undefined)?.name;
    if (name !== undefined) await access.assertVisible(req.principal, name);
  });
  app.get(
    `${API_PREFIX}/sessions/:name/shell`,
    {
      websocket: true,
      schema: {
        tags: ['sessions'],
        operationId: 'openShell',
        summary: 'Interactive TTY shell over a WebSocket',
        description:
          'Binary frames carry terminal bytes both ways. Text frames are JSON control messages: ' +
          '`{"type":"resize","cols":N,"rows":N}` and `{"type":"stdin-end"}` from the client; ' +
          '`{"type":"exit","code":N}` or `{"type":"error","problem":{…}}` from the server.',
        params: SessionRef,
        querystring: ShellQuery,
        response: { 101: Type.Null({ description: 'Switching Protocols: the terminal follows' }) },
      },
    },
    async (socket, req) => {
      app.liveSockets.watch(req, socket);
      let term: Awaited<ReturnType<typeof core.service.shell>>;
      try {
        term = await core.service.shell(req.params.name, {
          ...(req.query.cols ? { cols: req.query.cols } : {}),
          ...(req.query.rows ? { rows: req.query.rows } : {}),
        });
      } catch (err) {
        socket.send(JSON.stringify({ type: 'error', problem: toProblem(err) }));
        socket.close(1011, 'could not open a terminal');
        return;
      }
      term.stream.on('data', (d: Buffer) => socket.send(d, { binary: true }));
      // Keystrokes are activity: the session's idle timeout counts from the last one.
      const sessionId = core.service.get(req.params.name).then(
        (s) => s.id,
        () => null,
      );
      const typed = () => {
        void sessionId.then((id) => (id ? core.service.noteActivity(id) : undefined)).catch(() => undefined);
      };
      // Keystrokes wait for an earlier resize to land, so a program sees the size it was sent.
      let ordered: Promise<unknown> = Promise.resolve();
      socket.on('message', (data: Buffer, isBinary: boolean) => {
        if (isBinary) {
          typed();
          ordered = ordered.then(() => term.stream.write(data));
          return;
        }
        try {
          const msg = JSON.parse(data.toString('utf8')) as { type?: string; cols?: number; rows?: number };
          if (msg.type === 'resize' && Number.isInteger(msg.cols) && Number.isInteger(msg.rows)) {
            ordered = ordered.then(() => term.resize(Math.min(msg.cols!, 1000), Math.min(msg.rows!, 1000)));
          } else if (msg.type === 'stdin-end') {
            ordered = ordered.then(() => term.stream.end());
          }
        } catch {
          // Unknown control frames are ignored, never fatal.
        }
      });
      socket.on('close', () => term.stream.destroy());
      void term.exited.then((code) => {
        if (socket.readyState === socket.OPEN) {
          socket.send(JSON.stringify({ type: 'exit', code }));
          socket.close(1000, 'exited');
        }
      });
    },
  );
};
