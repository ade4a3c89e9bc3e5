import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import WebSocket from 'ws';
import { BerthClient as TransportClient } from './client.js';
import type { Transport, TransportRequest, TransportResponse } from './transport.js';

/** One request handed to a `dispatch` endpoint: the server answering in the same process. */
export interface DispatchRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** The answer of a `dispatch` endpoint: status, headers and the body as a stream. */
export interface DispatchResponse {
  status: number;
  headers: IncomingHttpHeaders | OutgoingHttpHeaders;
  body: Readable;
}

export type Dispatch = (req: DispatchRequest) => Promise<DispatchResponse>;

/**
 * Where the daemon answers: its unix socket, a URL (with a token), or `dispatch`, a function that
 * hands each request to a server in the same process (the daemon's own MCP endpoint uses it, so
 * its tools pass through the same routes, auth and audit as any client).
 */
export type Endpoint = { socketPath: string } | { url: string; token?: string } | { dispatch: Dispatch };

/** The daemon over node:http and `ws`, at an Endpoint. */
export class NodeTransport implements Transport<WebSocket, Readable> {
  constructor(readonly endpoint: Endpoint) {}

  request(req: TransportRequest): Promise<TransportResponse<Readable>> {
    const { method, path } = req;
    const payload = req.body === undefined ? undefined : Buffer.from(req.body);
    const h: Record<string, string> = { ...req.headers };
    if (payload) h['content-length'] = String(payload.length);
    const endpoint = this.endpoint;
    if ('dispatch' in endpoint) {
      return endpoint.dispatch({ method, path, headers: h, ...(payload ? { body: payload } : {}) });
    }
    let target: { socketPath?: string; host?: string; port?: number | string };
    if ('socketPath' in endpoint) {
      target = { socketPath: endpoint.socketPath };
    } else {
      const u = new URL(endpoint.url);
      target = { host: u.hostname, port: u.port || 80 };
      if (endpoint.token) h.authorization = `Bearer ${endpoint.token}`;
    }
    return new Promise((resolve, reject) => {
      const r = httpRequest({ ...target, method, path, headers: { host: 'localhost', ...h } }, (res) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      r.on('error', reject);
      r.end(payload);
    });
  }

  socket(path: string): WebSocket {
    const endpoint = this.endpoint;
    if ('dispatch' in endpoint) throw new Error('WebSockets need a socket or URL endpoint, not dispatch');
    if ('socketPath' in endpoint) return new WebSocket(`ws+unix://${endpoint.socketPath}:${path}`);
    const u = new URL(path, endpoint.url.replace(/^http/, 'ws'));
    const headers: Record<string, string> = endpoint.token
      ? { authorization: `Bearer ${endpoint.token}` }
      : {};
    return new WebSocket(u, { headers });
  }
}

const asBuffer = (b: Uint8Array): Buffer => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/**
 * The API client at an Endpoint, in Node's own types: `ws` WebSockets, Readable streams, Buffers.
 * `new BerthClient({ socketPath })` is all a caller writes.
 */
export class BerthClient extends TransportClient<WebSocket, Readable> {
  constructor(endpoint: Endpoint) {
    super(new NodeTransport(endpoint));
  }

  protected override fromBase64(text: string): Uint8Array {
    return Buffer.from(text, 'base64');
  }

  protected override toBase64(bytes: Uint8Array): string {
    return asBuffer(bytes).toString('base64');
  }

  override async exec(
    name: string,
    cmd: string[],
    stdin?: Uint8Array,
  ): Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer; truncated: boolean }> {
    const r = await super.exec(name, cmd, stdin);
    return { ...r, stdout: asBuffer(r.stdout), stderr: asBuffer(r.stderr) };
  }
}
