import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dialer } from '../runtime/runtime.js';

/**
 * HTTP to a session's dev server, as both ways to a preview forward it: the berth server's
 * preview host (`NAME.preview.HOST`) and the daemon's host port (127.0.0.1:PORT). Everything the
 * dev server answers is the session's, so nothing of it may throw outside its own request; and
 * nothing of berth's (its cookies, its tokens) ever goes to it.
 */

/** Where a preview's traffic goes: a port in the session, and how the daemon dials it. */
export interface DevServer {
  port: number;
  dial: Dialer;
}

export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Every cookie but berth's own: the dev server never sees a berth credential. */
function withoutBerthCookies(header: string | undefined): string | undefined {
  const kept = (header ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && !p.toLowerCase().startsWith('berth_'));
  return kept.length ? kept.join('; ') : undefined;
}

export function upstreamHeaders(
  req: IncomingMessage,
  containerPort: number,
  upgrade: boolean,
): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k === 'authorization' || k === 'cookie' || k === 'host') continue;
    if (!upgrade && HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  const cookie = withoutBerthCookies(req.headers.cookie);
  if (cookie) out.cookie = cookie;
  // The dev server answers to localhost only (Vite's allowedHosts): it is told it is reached so.
  const local = `localhost:${containerPort}`;
  out.host = local;
  const ownOrigin = `http://${req.headers.host ?? ''}`;
  if (req.headers.origin === ownOrigin) out.origin = `http://${local}`;
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-proto'] = 'http';
  return out;
}

/**
 * Whether a dev server's Set-Cookie may reach the browser. Not one named like berth's (it would
 * toss or replace berth's own), and no Domain= but the preview's own host: a wider one reaches
 * berth's host names (and the other previews), where it would ride along with berth's cookies.
 */
export function cookieMayPass(setCookie: string, previewHost: string): boolean {
  const [pair = '', ...attributes] = setCookie.split(';');
  // Without `=` the whole pair is a nameless cookie's value, which the browser sends as is.
  const name = (pair.includes('=') ? pair.slice(0, pair.indexOf('=')) : pair).trim().toLowerCase();
  if (name.startsWith('berth_')) return false;
  for (const attribute of attributes) {
    const i = attribute.indexOf('=');
    if (i < 0 || attribute.slice(0, i).trim().toLowerCase() !== 'domain') continue;
    const domain = attribute
      .slice(i + 1)
      .trim()
      .replace(/^\./, '')
      .toLowerCase();
    if (domain !== previewHost) return false;
  }
  return true;
}

/** The host name (no port) a request reached the preview by. */
export function previewHostName(req: IncomingMessage): string {
  try {
    return new URL(`http://${req.headers.host ?? ''}`).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** The dev server's answer headers without hop-by-hop ones and without cookies for berth. */
export function downstreamHeaders(answer: IncomingMessage, previewHost: string): IncomingHttpHeaders {
  const headers = { ...answer.headers };
  for (const h of HOP_BY_HOP) delete headers[h];
  const cookies = (headers['set-cookie'] ?? []).filter((c) => cookieMayPass(c, previewHost));
  if (cookies.length) headers['set-cookie'] = cookies;
  else delete headers['set-cookie'];
  return headers;
}

/** No control characters but tab: what every reader of a header line reads the same. */
function isPlain(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return false;
  }
  return true;
}

/** The most of a dev server's answer head to an upgrade that is read before giving up on it. */
const MAX_UPGRADE_HEAD = 64 * 1024;

/**
 * A dev server's answer head to an upgrade, as it goes to the browser: Set-Cookie lines filtered
 * like any answer's. Null when it is not plain enough to filter safely (folded lines, bare CR or
 * control characters, which browsers may read otherwise than this does).
 */
export function filterUpgradeHead(head: string, previewHost: string): string | null {
  const [status = '', ...lines] = head.split(/\r?\n/);
  if (!/^HTTP\/1\.[01] \d{3}( |$)/.test(status) || !isPlain(status)) return null;
  const kept = [status];
  for (const line of lines) {
    if (/^[ \t]/.test(line) || !isPlain(line)) return null;
    const i = line.indexOf(':');
    const isCookie = i > 0 && line.slice(0, i).trim().toLowerCase() === 'set-cookie';
    if (!isCookie || cookieMayPass(line.slice(i + 1).trim(), previewHost)) kept.push(line);
  }
  return `${kept.join('\r\n')}\r\n\r\n`;
}

/** Relays the dev server's answer to an upgrade: its head filtered, then everything as it comes. */
export function relayUpgradeAnswer(upstream: Duplex, socket: Socket, previewHost: string): void {
  let buffered = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    const text = buffered.toString('latin1');
    const end = /\r?\n\r?\n/.exec(text);
    if (!end) {
      if (buffered.length > MAX_UPGRADE_HEAD) upstream.destroy();
      return;
    }
    upstream.off('data', onData);
    const head = filterUpgradeHead(text.slice(0, end.index), previewHost);
    if (head === null) {
      upstream.destroy();
      return;
    }
    socket.write(Buffer.from(head, 'latin1'));
    // latin1: one character per byte, so the string's offsets are the buffer's.
    const rest = buffered.subarray(end.index + end[0].length);
    if (rest.length) socket.write(rest);
    upstream.pipe(socket);
  };
  upstream.on('data', onData);
}

/**
 * Whether the request's Origin is absent or this preview's own. Another page (another preview,
 * berth's dashboard, any site) may make the browser send a POST or open a WebSocket here with
 * the preview's cookie: those may not reach the dev server.
 */
export function fromOwnOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const o = new URL(origin);
    const own = new URL(`http://${req.headers.host ?? ''}`);
    if (o.protocol !== 'http:' && o.protocol !== 'https:') return false;
    // Behind a TLS front the browser says https: the Host then carries no port, or 443.
    const port = (u: URL) => u.port || (o.protocol === 'https:' ? '443' : '80');
    return o.hostname.toLowerCase() === own.hostname.toLowerCase() && port(o) === port(own);
  } catch {
    return false;
  }
}

/** Reads, and the opening of the page itself, come from anywhere; changes and upgrades only from the preview. */
export const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** A plain-text answer of berth's own to a preview request. */
export function refusePreview(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${message}\n`);
}

/**
 * Sends one request on to the dev server and its answer back: berth's cookies and Authorization
 * out, a status or headers that are not HTTP a 502 of this request alone. `who` names the dev
 * server in berth's own answers ("the dev server of session 'web'").
 */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  target: DevServer,
  who: string,
): void {
  const up = httpRequest(
    {
      createConnection: target.dial,
      method: req.method,
      path: req.url,
      headers: upstreamHeaders(req, target.port, false),
    },
    (answer) => {
      // A status such as 000 makes writeHead throw, which would end the daemon.
      answer.on('error', () => res.destroy());
      const status = answer.statusCode ?? 0;
      if (status < 100 || status > 599 || status === 101) {
        answer.destroy();
        refusePreview(
          res,
          502,
          `${who} answered with status ${String(status).slice(0, 3)}, which is not HTTP`,
        );
        return;
      }
      const headers = downstreamHeaders(answer, previewHostName(req));
      try {
        res.writeHead(status, headers);
      } catch {
        answer.destroy();
        if (!res.headersSent) refusePreview(res, 502, `${who} answered with headers that are not HTTP`);
        else res.destroy();
        return;
      }
      answer.pipe(res);
    },
  );
  up.on('error', () => {
    if (!res.headersSent) refusePreview(res, 502, `${who} did not answer`);
    else res.destroy();
  });
  res.on('close', () => up.destroy());
  req.pipe(up);
}

/** Opens an upgrade (a WebSocket: hot reload) to the dev server and relays both ways. */
export function forwardUpgrade(req: IncomingMessage, socket: Socket, head: Buffer, target: DevServer): void {
  const headers = upstreamHeaders(req, target.port, true);
  const upstream = target.dial();
  upstream.on('error', () => socket.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
  // What is written before the connection is up waits for it (a socket's writes queue).
  const lines = [`${req.method} ${req.url} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) {
    for (const one of [v].flat())
      if (one !== undefined) lines.push(`${k}: ${String(one).replace(/[\r\n]/g, '')}`);
  }
  upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
  if (head.length) upstream.write(head);
  socket.pipe(upstream);
  relayUpgradeAnswer(upstream, socket, previewHostName(req));
}
