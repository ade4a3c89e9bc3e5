import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  type DevServer,
  forwardRequest,
  forwardUpgrade,
  fromOwnOrigin,
  refusePreview,
  SAFE_METHODS,
} from './http-forward.js';

/** Where a preview's traffic goes: the container's address on the session network. */
export type ForwardTarget = DevServer;

interface Forward {
  server: Server;
  hostPort: number;
  target: ForwardTarget;
  sockets: Set<Socket>;
}

/**
 * Whether a request names this listener by a loopback name: `127.0.0.1:PORT`, `localhost:PORT`
 * or `[::1]:PORT`. Any other Host is a page of another site that rebound its name to 127.0.0.1
 * (DNS rebinding): it would read the preview, and through it the workspace, as its own origin.
 */
export function isLoopbackHost(host: string | undefined, port: number): boolean {
  const h = (host ?? '').toLowerCase();
  return h === `127.0.0.1:${port}` || h === `localhost:${port}` || h === `[::1]:${port}`;
}

/**
 * The daemon's side of a preview's host port: an HTTP listener on 127.0.0.1:hostPort that
 * forwards requests and upgrades to the container. Docker fixes published ports when a container
 * is made; a lease that is freed on stop and kept across daemon restarts needs a listener the
 * daemon owns instead. It speaks HTTP rather than piping bytes so that berth's cookies (a
 * dashboard on 127.0.0.1 shares them: cookies ignore ports) and tokens never reach the dev
 * server, and it answers only to loopback names and, for changes and upgrades, its own origin.
 */
export class PortForwarder {
  private readonly forwards = new Map<string, Forward>();

  constructor(private readonly onConnection: (sessionId: string) => void = () => {}) {}

  /** Listens on 127.0.0.1:hostPort for the session (replacing its previous listener). */
  async open(sessionId: string, hostPort: number, target: ForwardTarget): Promise<void> {
    const current = this.forwards.get(sessionId);
    if (current && current.hostPort === hostPort) {
      current.target = target;
      return;
    }
    await this.close(sessionId);
    const sockets = new Set<Socket>();
    const server = createServer();
    const forward: Forward = { server, hostPort, target, sockets };
    const who = 'the dev server of this preview';
    server.on('connection', (socket: Socket) => {
      this.onConnection(sessionId);
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      res.on('error', () => {});
      const problem = this.problem(req, hostPort);
      if (problem) return refusePreview(res, problem.status, problem.message);
      forwardRequest(req, res, forward.target, who);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const problem = this.problem(req, hostPort, true);
      if (problem) {
        socket.end(
          `HTTP/1.1 ${problem.status} Refused\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(problem.message)}\r\nconnection: close\r\n\r\n${problem.message}`,
        );
        return;
      }
      forwardUpgrade(req, socket, head, forward.target);
    });
    server.on('clientError', (_err, socket: Socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: hostPort, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.forwards.set(sessionId, forward);
  }

  private problem(
    req: IncomingMessage,
    hostPort: number,
    upgrade = false,
  ): { status: number; message: string } | null {
    if (!isLoopbackHost(req.headers.host, hostPort)) {
      return {
        status: 421,
        message: `this preview answers at http://127.0.0.1:${hostPort}/ (or localhost) only, not as ${String(req.headers.host ?? '(no Host)').slice(0, 100)}`,
      };
    }
    if ((upgrade || !SAFE_METHODS.has(req.method ?? 'GET')) && !fromOwnOrigin(req)) {
      return {
        status: 403,
        message: 'a page of another origin may not change or open sockets to this preview',
      };
    }
    return null;
  }

  target(sessionId: string): ForwardTarget | null {
    return this.forwards.get(sessionId)?.target ?? null;
  }

  hostPort(sessionId: string): number | null {
    return this.forwards.get(sessionId)?.hostPort ?? null;
  }

  sessions(): string[] {
    return [...this.forwards.keys()];
  }

  /** Stops listening and cuts the session's open connections; nothing open is fine. */
  async close(sessionId: string): Promise<void> {
    const f = this.forwards.get(sessionId);
    if (!f) return;
    this.forwards.delete(sessionId);
    for (const s of f.sockets) s.destroy();
    await new Promise<void>((resolve) => f.server.close(() => resolve()));
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.sessions().map((id) => this.close(id)));
  }
}
