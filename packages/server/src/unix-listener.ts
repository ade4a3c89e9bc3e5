import { chmod, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
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
  unix.on('connection', (socket) => {
    (socket as Socket & { [LOCAL_SOCKET]?: boolean })[LOCAL_SOCKET] = true;
  });
  unix.on('request', (req, res) => app.server.emit('request', req, res));
  unix.on('upgrade', (req, socket, head) => app.server.emit('upgrade', req, socket, head));
  await new Promise<void>((resolve, reject) => {
    unix.once('error', reject);
    unix.listen(path, () => resolve());
  });
  await chmod(path, 0o600);
  return unix;
}

export async function closeUnixListener(unix: Server): Promise<void> {
  await new Promise<void>((resolve) => {
    unix.close(() => resolve());
    unix.closeIdleConnections();
    setTimeout(() => unix.closeAllConnections(), 2000).unref();
  });
}
