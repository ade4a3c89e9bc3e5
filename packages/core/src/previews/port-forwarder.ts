import { connect, createServer, type Server, type Socket } from 'node:net';

/** Where a preview's traffic goes: the container's address on the session network. */
export interface ForwardTarget {
  host: string;
  port: number;
}

interface Forward {
  server: Server;
  hostPort: number;
  target: ForwardTarget;
  sockets: Set<Socket>;
}

/**
 * The daemon's side of a preview's host port: a TCP listener on 127.0.0.1:hostPort piping every
 * connection to the container. Docker fixes published ports when a container is made; a lease that
 * is freed on stop and kept across daemon restarts needs a listener the daemon owns instead.
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
    const forward: Forward = { server: createServer(), hostPort, target, sockets };
    forward.server.on('connection', (client) => {
      this.onConnection(sessionId);
      const upstream = connect(forward.target.port, forward.target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.once('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      forward.server.once('error', reject);
      forward.server.listen({ host: '127.0.0.1', port: hostPort, exclusive: true }, () => {
        forward.server.off('error', reject);
        resolve();
      });
    });
    this.forwards.set(sessionId, forward);
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
