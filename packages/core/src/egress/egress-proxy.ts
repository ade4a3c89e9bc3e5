import { lookup } from 'node:dns/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import { HOP_BY_HOP } from '../http/hop-by-hop.js';
import type { Logger } from '../logger.js';
import {
  decideAddress,
  decideHost,
  type EgressDecision,
  type EgressPolicy,
  localNetworks,
} from './egress-policy.js';

/**
 * berth's egress proxy: an HTTP proxy (CONNECT for TLS, absolute-form for plain HTTP) that a
 * session's tools reach through HTTP(S)_PROXY. Each connection comes in already tied to its
 * session (`accept`); every request is decided by the session's policy on the name it asks for
 * and then on every address that name resolves to, and the connection goes to the address that
 * was checked (a name cannot resolve to something else between the check and the connect).
 */

/** The session a connection speaks for, and its policy as it is now (null: the session is gone). */
export interface EgressClient {
  sessionId: string;
  policy: () => Promise<EgressPolicy | null>;
}

/** One decision, as recorded and shown by `berth egress`. */
export interface EgressEvent {
  sessionId: string;
  host: string;
  port: number;
  allowed: boolean;
  reason: string;
  at: string;
}

export interface EgressProxyDeps {
  logger: Logger;
  /** Told of every decision. */
  record: (e: EgressEvent) => void;
  /** Name → addresses (dns.lookup by default; tests give their own). */
  resolve?: (host: string) => Promise<string[]>;
  /** This machine's networks (localNetworks() by default, read once). */
  local?: ReturnType<typeof localNetworks>;
  now?: () => Date;
}

const CONNECT_TIMEOUT_MS = 10_000;

export class EgressProxy {
  private readonly server: Server;
  private readonly clients = new WeakMap<Socket, EgressClient>();
  private readonly local: ReturnType<typeof localNetworks>;

  constructor(private readonly deps: EgressProxyDeps) {
    this.local = deps.local ?? localNetworks();
    this.server = createServer();
    this.server.headersTimeout = 30_000;
    this.server.requestTimeout = 0;
    this.server.on('connect', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      void this.tunnel(req, socket, head);
    });
    this.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      void this.forward(req, res);
    });
    this.server.on('clientError', (_err, socket: Socket) => socket.destroy());
  }

  /**
   * Serves one connection of a session, the bytes read past the caller's own header put back
   * first. Call it in the same tick as that read: bytes that arrive later are the server's.
   */
  accept(socket: Socket, client: EgressClient, unread?: Buffer): void {
    this.clients.set(socket, client);
    socket.on('error', () => socket.destroy());
    if (unread?.length) socket.unshift(unread);
    this.server.emit('connection', socket);
  }

  private clientOf(req: IncomingMessage): EgressClient | null {
    return this.clients.get(req.socket) ?? null;
  }

  /**
   * The addresses `host` may be reached at for this session: the policy on the name, then each
   * address it resolves to. The decision recorded is the first refusal, or the allowance.
   */
  private async decide(
    client: EgressClient,
    host: string,
    port: number,
  ): Promise<{ decision: EgressDecision; addresses: string[] }> {
    const policy = await client.policy().catch(() => null);
    if (!policy) return { decision: { allowed: false, reason: 'the session is gone' }, addresses: [] };
    const byName = decideHost(policy, host, port);
    if (!byName.allowed) return { decision: byName, addresses: [] };
    const bare = host.replace(/^\[|\]$/g, '');
    let addresses: string[];
    try {
      addresses = isIP(bare) ? [bare] : await (this.deps.resolve ?? resolveAll)(bare);
    } catch {
      return { decision: { allowed: false, reason: 'the name does not resolve' }, addresses: [] };
    }
    const verdicts = addresses.map((a) => ({ a, d: decideAddress(a, this.local) }));
    const refused = verdicts.find((v) => !v.d.allowed);
    // One address of a name in a private range is enough to refuse it: that name is a way in.
    if (refused || verdicts.length === 0) {
      return { decision: refused?.d ?? { allowed: false, reason: 'no address' }, addresses: [] };
    }
    return { decision: byName, addresses: verdicts.map((v) => v.a) };
  }

  private note(client: EgressClient, host: string, port: number, d: EgressDecision): void {
    this.deps.record({
      sessionId: client.sessionId,
      host: host.toLowerCase().slice(0, 253),
      port,
      allowed: d.allowed,
      reason: d.reason,
      at: (this.deps.now?.() ?? new Date()).toISOString(),
    });
  }

  private async tunnel(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    socket.on('error', () => socket.destroy());
    const client = this.clientOf(req);
    const target = parseAuthority(req.url ?? '');
    if (!client || !target) {
      socket.end(answer(400, 'berth egress: CONNECT wants host:port'));
      return;
    }
    const { decision, addresses } = await this.decide(client, target.host, target.port);
    this.note(client, target.host, target.port, decision);
    if (!decision.allowed) {
      socket.end(answer(403, `berth egress: ${target.host}:${target.port} refused (${decision.reason})`));
      return;
    }
    const upstream = connect({ host: addresses[0]!, port: target.port, timeout: CONNECT_TIMEOUT_MS });
    upstream.once('timeout', () => upstream.destroy(new Error('timed out')));
    upstream.once('error', () => {
      if (!socket.destroyed)
        socket.end(answer(502, `berth egress: ${target.host}:${target.port} did not answer`));
    });
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      upstream.on('error', () => socket.destroy());
      socket.on('close', () => upstream.destroy());
      upstream.on('close', () => socket.destroy());
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      socket.pipe(upstream).pipe(socket);
    });
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => {});
    const client = this.clientOf(req);
    let url: URL | null = null;
    try {
      url = new URL(req.url ?? '');
    } catch {
      // origin-form: not a proxy request
    }
    if (!client || !url || url.protocol !== 'http:') {
      res.writeHead(400, { 'content-type': 'text/plain', connection: 'close' });
      res.end('berth egress: this is an HTTP proxy (HTTP_PROXY); HTTPS goes through CONNECT\n');
      return;
    }
    const port = url.port ? Number(url.port) : 80;
    const { decision, addresses } = await this.decide(client, url.hostname, port);
    this.note(client, url.hostname, port, decision);
    if (!decision.allowed) {
      res.writeHead(403, { 'content-type': 'text/plain', connection: 'close' });
      res.end(`berth egress: ${url.hostname}:${port} refused (${decision.reason})\n`);
      return;
    }
    const headers: OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    headers.host = url.host;
    const up = httpRequest(
      {
        host: addresses[0],
        port,
        method: req.method,
        path: `${url.pathname}${url.search}`,
        headers,
        timeout: CONNECT_TIMEOUT_MS,
      },
      (answer) => {
        answer.on('error', () => res.destroy());
        const back: OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(answer.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) back[k] = v;
        try {
          res.writeHead(answer.statusCode ?? 502, back);
        } catch {
          answer.destroy();
          if (!res.headersSent) res.writeHead(502).end();
          else res.destroy();
          return;
        }
        answer.pipe(res);
      },
    );
    up.on('timeout', () => up.destroy(new Error('timed out')));
    up.on('error', () => {
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`berth egress: ${url.hostname}:${port} did not answer\n`);
      } else res.destroy();
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  }

  close(): void {
    this.server.closeAllConnections();
    this.server.close();
  }
}

async function resolveAll(host: string): Promise<string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((r) => r.address);
}

/** `host:port` or `[v6]:port` of a CONNECT; null when it is not one. */
export function parseAuthority(authority: string): { host: string; port: number } | null {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/\s]+):(\d{1,5})$/.exec(authority);
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1]!, port } : null;
}

function answer(status: number, message: string): string {
  const text = status === 403 ? 'Forbidden' : status === 502 ? 'Bad Gateway' : 'Bad Request';
  return `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(message) + 1}\r\nconnection: close\r\n\r\n${message}\n`;
}
