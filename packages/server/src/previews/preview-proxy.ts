import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Core, Session } from '@berth/core';
import { publicUser } from '../auth/auth.js';
import type { SessionAccess } from '../auth/session-access.js';
import { problem } from '../problems.js';
import { type Grant, PREVIEW_COOKIE, PREVIEW_COOKIE_SECONDS, type PreviewGrants } from './preview-tickets.js';

/** How long a holder's right to a preview is trusted before the store is asked again. */
const RECHECK_MS = 2_000;

export const PREVIEW_AUTH_PATH = '/__berth/preview-auth';
const PREVIEW_LABEL = 'preview';
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** `<name>.preview.<host>[:port]` for one of the server's own host names → the session name. */
export function previewSessionName(hostHeader: string | undefined, allowedHosts: Set<string>): string | null {
  if (!hostHeader) return null;
  let host: string;
  try {
    host = new URL(`http://${hostHeader}`).hostname.toLowerCase();
  } catch {
    return null;
  }
  const m = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\.preview\.(.+)$/.exec(host);
  return m && allowedHosts.has(m[2]!) ? m[1]! : null;
}

/** The address a session's preview has through this server, seen from a browser. */
export function previewOrigin(name: string, base: { protocol: string; host: string; port: number | null }) {
  return `${base.protocol}//${name}.${PREVIEW_LABEL}.${base.host}${base.port ? `:${base.port}` : ''}`;
}

/**
 * Every value of a cookie, in the order sent: another preview can set one for a parent domain
 * that the browser sends before (or beside) this preview's own, so none is the one by position.
 */
function cookieValues(header: string | undefined, name: string): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) values.push(part.slice(i + 1).trim());
  }
  return values;
}

/** A browser honestly holds a few preview cookies at most; more are only work for the store. */
const MAX_PREVIEW_COOKIES = 8;

/** Every cookie but berth's own: the dev server never sees a berth credential. */
function withoutBerthCookies(header: string | undefined): string | undefined {
  const kept = (header ?? '')
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p && !p.toLowerCase().startsWith('berth_'));
  return kept.length ? kept.join('; ') : undefined;
}

function upstreamHeaders(req: IncomingMessage, containerPort: number, upgrade: boolean): IncomingHttpHeaders {
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
function previewHostName(req: IncomingMessage): string {
  try {
    return new URL(`http://${req.headers.host ?? ''}`).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/** The dev server's answer headers without hop-by-hop ones and without cookies for berth. */
function downstreamHeaders(answer: IncomingMessage, previewHost: string): IncomingHttpHeaders {
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
function relayUpgradeAnswer(upstream: Socket, socket: Socket, previewHost: string): void {
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
const SAFE_METHODS = new Set(['GET', 'HEAD']);

function crossOriginProblem(name: string, req: IncomingMessage): string {
  const origin = JSON.stringify(String(req.headers.origin).slice(0, 200));
  return JSON.stringify(
    problem(
      'forbidden',
      `another page (origin ${origin}) may not send changes or open WebSockets to the preview of session '${name}'`,
      `use the preview from its own address: \`berth preview ${name} --open\``,
    ),
  );
}

type Refusal = { status: number; message: string };

/**
 * The preview reverse proxy: requests whose Host is `<name>.preview.<one of ours>` never reach the
 * API (a different origin from the dashboard, with its own cookie). A signed ticket from the API
 * becomes an HttpOnly cookie for that host only; with it, HTTP and WebSocket upgrades (HMR) go to
 * the session's dev server with berth's cookies and Authorization removed.
 */
export class PreviewProxy {
  private readonly checked = new Map<string, number>();

  constructor(
    private readonly core: Core,
    private readonly grants: PreviewGrants,
    private readonly access: SessionAccess,
    private readonly allowedHosts: Set<string>,
  ) {}

  /**
   * Whether the grant's holder may still see the session: its token unrevoked and unexpired, its
   * user there, the session theirs or their team's (or they an admin). Asked again every 2 s.
   */
  private async stillAllowed(g: Grant, session: Session): Promise<boolean> {
    if (g.who === 'local') return true;
    const key = `${g.who}:${session.id}`;
    const now = Date.now();
    if ((this.checked.get(key) ?? 0) > now) return true;
    const accounts = this.core.store.accounts;
    const token = await accounts.getToken(g.who);
    const live = token && !token.revokedAt && !(token.expiresAt && Date.parse(token.expiresAt) <= now);
    const user = live ? await accounts.getUser(token.userId) : null;
    if (!token || !user) return false;
    const principal = {
      kind: 'user' as const,
      user: publicUser(user),
      tokenId: token.id,
      via: 'token' as const,
      tokenHash: token.tokenHash,
    };
    if (!(await this.access.canSee(principal))(session)) return false;
    if (this.checked.size > 10_000) this.checked.clear();
    this.checked.set(key, now + RECHECK_MS);
    return true;
  }

  private async anyStillAllowed(grants: Grant[], session: Session): Promise<boolean> {
    for (const g of grants) if (await this.stillAllowed(g, session)) return true;
    return false;
  }

  /** Puts the proxy in front of the app's own listeners for requests and upgrades. */
  install(server: Server): void {
    for (const event of ['request', 'upgrade'] as const) {
      const theirs = server.listeners(event) as Array<(...args: unknown[]) => void>;
      server.removeAllListeners(event);
      server.on(event, (req: IncomingMessage, ...rest: unknown[]) => {
        const name = previewSessionName(req.headers.host, this.allowedHosts);
        if (name === null) {
          for (const l of theirs) l.call(server, req, ...rest);
          return;
        }
        const done =
          event === 'request'
            ? this.handleRequest(name, req, rest[0] as ServerResponse)
            : this.handleUpgrade(name, req, rest[0] as Socket, rest[1] as Buffer);
        done.catch(() => {
          if (event === 'request') {
            const res = rest[0] as ServerResponse;
            if (!res.headersSent) refuse(res, { status: 502, message: 'the preview could not be reached' });
            else res.destroy();
          } else (rest[0] as Socket).destroy();
        });
      });
    }
  }

  /** The session behind a preview host, when the request carries a grant for it. */
  private async authorize(
    name: string,
    req: IncomingMessage,
  ): Promise<{ session: Session; target: { host: string; port: number } } | Refusal> {
    const grants = cookieValues(req.headers.cookie, PREVIEW_COOKIE)
      .slice(0, MAX_PREVIEW_COOKIES)
      .map((v) => this.grants.verify('cookie', v))
      .filter((g): g is Grant => g !== null);
    const hint = `open it from berth: \`berth preview ${name} --open\` or the session's preview link in the dashboard`;
    if (grants.length === 0) return { status: 401, message: `this preview needs a link from berth: ${hint}` };
    const session = await this.core.store.getByName(name);
    // A session made again under the same name is another session: the old grant does not reach it.
    const forThis = grants.filter((g) => g.sessionId === session?.id);
    if (!session || forThis.length === 0)
      return { status: 401, message: `this preview link is for another session: ${hint}` };
    if (!(await this.anyStillAllowed(forThis, session))) {
      return { status: 401, message: `your berth login has ended or no longer sees this session: ${hint}` };
    }
    if (session.status !== 'running') {
      return { status: 503, message: `session '${name}' is ${session.status}: resume or start it first` };
    }
    const target = this.core.previews.upstream(session.id);
    if (!target) {
      return {
        status: 503,
        message: `session '${name}' runs no preview: start one with \`berth preview ${name} --restart\``,
      };
    }
    void this.core.service.noteActivity(session.id).catch(() => undefined);
    return { session, target };
  }

  private async handleRequest(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://preview.invalid');
    if (url.pathname === PREVIEW_AUTH_PATH) {
      const ticket = url.searchParams.get('ticket') ?? undefined;
      const grant = this.grants.verify('ticket', ticket);
      const session = grant ? await this.core.store.getByName(name) : null;
      if (!grant || !session || session.id !== grant.sessionId || !this.grants.redeem(ticket)) {
        refuse(res, {
          status: 403,
          message: 'this preview link is not valid or has expired: ask berth for a new one',
        });
        return;
      }
      const cookie = this.grants.issue('cookie', grant);
      res.writeHead(303, {
        location: '/',
        'set-cookie': `${PREVIEW_COOKIE}=${cookie.value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${PREVIEW_COOKIE_SECONDS}`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      res.end();
      return;
    }
    if (!SAFE_METHODS.has(req.method ?? 'GET') && !fromOwnOrigin(req)) {
      res.writeHead(403, { 'content-type': 'application/problem+json', 'cache-control': 'no-store' });
      res.end(crossOriginProblem(name, req));
      return;
    }
    const auth = await this.authorize(name, req);
    if ('status' in auth) {
      refuse(res, auth);
      return;
    }
    const up = httpRequest(
      {
        host: auth.target.host,
        port: auth.target.port,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders(req, auth.target.port, false),
      },
      (answer) => {
        // Everything in the answer is the session's: nothing of it may throw out of this
        // connection (a status such as 000 makes writeHead throw, which would end the daemon).
        answer.on('error', () => res.destroy());
        const status = answer.statusCode ?? 0;
        if (status < 100 || status > 599 || status === 101) {
          answer.destroy();
          refuse(res, {
            status: 502,
            message: `the dev server of session '${name}' answered with status ${String(status).slice(0, 3)}, which is not HTTP`,
          });
          return;
        }
        const headers = downstreamHeaders(answer, previewHostName(req));
        try {
          res.writeHead(status, headers);
        } catch {
          answer.destroy();
          if (!res.headersSent) {
            refuse(res, {
              status: 502,
              message: `the dev server of session '${name}' answered with headers that are not HTTP`,
            });
          } else res.destroy();
          return;
        }
        answer.pipe(res);
      },
    );
    up.on('error', () => {
      if (!res.headersSent)
        refuse(res, { status: 502, message: `the dev server of session '${name}' did not answer` });
      else res.destroy();
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  }

  private async handleUpgrade(
    name: string,
    req: IncomingMessage,
    socket: Socket,
    head: Buffer,
  ): Promise<void> {
    socket.on('error', () => socket.destroy());
    if (!fromOwnOrigin(req)) {
      const body = crossOriginProblem(name, req);
      socket.end(
        `HTTP/1.1 403 Forbidden\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
      );
      return;
    }
    const auth = await this.authorize(name, req);
    if ('status' in auth) {
      socket.end(
        `HTTP/1.1 ${auth.status} ${auth.status === 401 ? 'Unauthorized' : 'Unavailable'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    const headers = upstreamHeaders(req, auth.target.port, true);
    const upstream = connect(auth.target.port, auth.target.host);
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.on('close', () => socket.destroy());
    upstream.once('connect', () => {
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (const [k, v] of Object.entries(headers)) {
        for (const one of [v].flat())
          if (one !== undefined) lines.push(`${k}: ${String(one).replace(/[\r\n]/g, '')}`);
      }
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) upstream.write(head);
      socket.pipe(upstream);
      relayUpgradeAnswer(upstream, socket, previewHostName(req));
    });
  }
}

function refuse(res: ServerResponse, r: Refusal): void {
  res.writeHead(r.status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
  res.end(`${r.message}\n`);
}
