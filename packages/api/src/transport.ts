/**
 * How a BerthClient reaches the server, and nothing else: the client builds paths, headers and
 * JSON bodies and reads the answers; a transport carries them. `@berth/api/node` has one over the
 * daemon's unix socket, a URL with a token, or an in-process dispatch; the dashboard has one over
 * the browser's fetch. This module names no Node or DOM type, so both can implement it.
 */

/** One HTTP request: the body is JSON text already, its content-type set by the client. */
export interface TransportRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export type HeaderValue = string | string[] | number | undefined;

/** An answer as it arrives: the body is read (or streamed, for logs and the create progress) by the client. */
export interface TransportResponse<Body extends AsyncIterable<Uint8Array> = AsyncIterable<Uint8Array>> {
  status: number;
  /** Header names in lower case. */
  headers: Readonly<Record<string, HeaderValue>>;
  body: Body;
}

/**
 * `Socket` is what `socket(path)` opens (the `ws` package's WebSocket in Node, the browser's own in
 * the dashboard); `Body` is the byte stream a response carries (a Node Readable, or chunks of a
 * fetch body). The client hands both back to its callers as they are.
 */
export interface Transport<
  Socket = unknown,
  Body extends AsyncIterable<Uint8Array> = AsyncIterable<Uint8Array>,
> {
  request(req: TransportRequest): Promise<TransportResponse<Body>>;
  /** Opens a WebSocket to `path` (an API path with its query), with the transport's credentials. */
  socket(path: string): Socket;
}
