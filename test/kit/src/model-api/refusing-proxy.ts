import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenOptions } from './recording-server.js';

/** An attempt to reach somewhere other than the scripted API: `CONNECT host:port` or a plain-HTTP URL. */
export interface RefusedAttempt {
  method: string;
  target: string;
}

export interface RefusingProxy {
  /** `http://HOST:PORT`: hand it to the agent as HTTPS_PROXY/HTTP_PROXY (with NO_PROXY for the API). */
  url: string;
  attempts: RefusedAttempt[];
  /** The host names (no ports) of every refused attempt, sorted, without repeats. */
  hosts(): string[];
  close(): Promise<void>;
}

/**
 * An HTTP proxy that refuses everything and records what was asked of it: set as the agent's
 * proxy, it shows which outside hosts a CLI tries (telemetry, updates, connectivity checks)
 * while nothing leaves the machine.
 */
export async function refusingProxy(opts: ListenOptions = {}): Promise<RefusingProxy> {
  const attempts: RefusedAttempt[] = [];
  const server = createServer((req, res) => {
    req.socket.on('error', () => {});
    attempts.push({ method: req.method ?? 'GET', target: req.url ?? '' });
    req.resume();
    res.writeHead(403, { 'content-type': 'text/plain' });
    res.end('refused by the test proxy\n');
  });
  server.on('connect', (req, socket) => {
    attempts.push({ method: 'CONNECT', target: req.url ?? '' });
    // A client that gives up first resets the socket: nothing to do about it.
    socket.on('error', () => {});
    socket.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    attempts,
    hosts: () => {
      const names = attempts.map((a) => {
        if (a.method === 'CONNECT') return a.target.replace(/:\d+$/, '');
        try {
          return new URL(a.target).hostname;
        } catch {
          return a.target;
        }
      });
      return [...new Set(names)].sort();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
