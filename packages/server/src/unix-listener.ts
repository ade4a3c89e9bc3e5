import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { LOCAL_SOCKET } from './auth/auth.js';

/**
 * Serves the app on a unix socket whose connections are marked local: the socket's file mode
 * (0600, in a 0700 directory) is their auth. Fastify's own listener stays free for TCP.
 */
export async function listenOnUnixSocket(app: FastifyInstance, path: string): Promise<Server> {
  await app.ready();
  await rm(path, { force: true });
  const unix = createServer();
  // Upgraded sockets leave the http server's own bookkeeping: keep our own for shutdown.
  const open = new Set<Socket>();
  openSockets.set(unix, open);
  unix.on('connection', (socket) => {
    (socket as Socket & { [LOCAL_SOCKET]?: boolean })[LOCAL_SOCKET] = true;
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  const answering = new Set<ServerResponse>();
  inFlight.set(unix, answering);
  unix.on('request', (req, res) => {
    // While draining, answer what is in flight and let each connection go with its answer.
    if (closing.has(unix)) res.shouldKeepAlive = false;
    answering.add(res);
    res.once('close', () => answering.delete(res));
    app.server.emit('request', req, res);
  });
  unix.on('upgrade', (req, socket, head) => app.server.emit('upgrade', req, socket, head));
  await new Promise<void>((resolve, reject) => {
    unix.once('error', reject);
    unix.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return unix;
}

const openSockets = new WeakMap<Server, Set<Socket>>();
const closing = new WeakSet<Server>();
const inFlight = new WeakMap<Server, Set<ServerResponse>>();

/** Stops accepting, lets requests in flight finish, then ends whatever is left after `graceMs`. */
export async function closeUnixListener(unix: Server, graceMs = 5000): Promise<void> {
  closing.add(unix);
  for (const res of inFlight.get(unix) ?? []) if (!res.headersSent) res.shouldKeepAlive = false;
  await new Promise<void>((resolve) => {
    unix.close(() => resolve());
    unix.closeIdleConnections();
    setTimeout(() => {
      unix.closeAllConnections();
      for (const s of openSockets.get(unix) ?? []) s.destroy();
    }, graceMs).unref();
  });
}
