import { API_PREFIX, EVENTS_MAX_PAYLOAD } from '@berth/api';
import type { Core } from '@berth/core';
import type { WebSocket } from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import { Type } from 'typebox';
import type { SessionAccess } from '../auth/session-access.js';
import type { SocketRecheck } from '../auth/socket-recheck.js';
import { DEFAULT_EVENTS_LIMITS, EventConnection, type EventsLimits } from '../events/connection.js';
import { Visibility } from '../events/visibility.js';
import { requireUpgrade } from './websocket-only.js';

/**
 * `GET /api/v1/events`: the real-time feed of session events from core's event bus (which also
 * carries what the reconciler sees the engine do), and container logs on request.
 */
export const eventRoutes: FastifyPluginAsync<{
  core: Core;
  /** Who may see which session; none (a server without auth) means every client sees all. */
  access?: SessionAccess;
  /** Asks again, every 30 s, whether the principal may keep the stream (none in bare test apps). */
  recheck?: SocketRecheck;
  limits?: Partial<EventsLimits>;
}> = async (app, opts) => {
  const limits: EventsLimits = { ...DEFAULT_EVENTS_LIMITS, ...opts.limits };
  const open = new Set<{ socket: WebSocket; conn: EventConnection }>();

  const schema = {
    tags: ['sessions'],
    operationId: 'streamEvents',
    summary: 'Real-time session events and container logs over a WebSocket',
    description:
      'JSON text frames. The server sends `hello`, then `session.created`, `session.updated`, ' +
      '`session.deleted`, `session.status.changed`, `container.health`, `agent.status.changed`, and `logs.stream` after ' +
      '`subscribe.logs`; every frame has `type` and a rising `seq`. `ack` and `error` (problem details) ' +
      'answer client messages; `notice` reports dropped frames. The client sends `subscribe.session`, ' +
      '`unsubscribe.session` (`{"session": name or id}`), `subscribe.logs` (`tail` optional) and ' +
      '`unsubscribe.logs`. Schemas: `ServerFrame` and `ClientMessage` in `@berth/api`.',
    response: { 101: Type.Null({ description: 'Switching Protocols: the event stream follows' }) },
  };
  app.get(`${API_PREFIX}/events`, { websocket: true, preHandler: requireUpgrade, schema }, (socket, req) => {
    // Revoking the token that opened it closes it (where the server has auth: not in bare test apps).
    if (app.hasDecorator('liveSockets')) app.liveSockets.watch(req, socket);
    // An expired login, a user gone or an admin no more ends it at the next re-check.
    opts.recheck?.watchEvents(socket, req.principal ?? null, req.log);
    narrowInboundLimit(socket, EVENTS_MAX_PAYLOAD);
    const visibility = Visibility.open(opts.core, opts.access, req.principal ?? null);
    const entry = { socket, conn: new EventConnection(socket, opts.core, visibility, limits, req.log) };
    open.add(entry);
    socket.on('close', () => open.delete(entry));
  });

  // Log follows and bus subscriptions end with the server, even for a client that never answers a close.
  app.addHook('onClose', async () => {
    for (const { socket, conn } of open) {
      conn.dispose();
      socket.terminate();
    }
    open.clear();
  });
};

/**
 * ws takes `maxPayload` per server, and the shell route needs 1 MiB for pastes; this route's
 * messages are tiny, so its sockets get a smaller cap before they read anything. The message
 * handler checks the size too, should ws ever rename the field.
 */
function narrowInboundLimit(socket: WebSocket, bytes: number): void {
  const receiver = (socket as unknown as { _receiver?: { _maxPayload?: unknown } })._receiver;
  if (receiver && typeof receiver._maxPayload === 'number') receiver._maxPayload = bytes;
}
