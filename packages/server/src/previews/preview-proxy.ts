import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import {
  type Core,
  type DevServer,
  forwardRequest,
  forwardUpgrade,
  fromOwnOrigin,
  refusePreview,
  SAFE_METHODS,
  type Session,
} from '@berth/core';
import { publicUser } from '../auth/auth.js';
import type { SessionAccess } from '../auth/session-access.js';
import { problem } from '../problems.js';
import { type Grant, PREVIEW_COOKIE, PREVIEW_COOKIE_SECONDS, type PreviewGrants } from './preview-tickets.js';

/** How long a holder's right to a preview is trusted before the store is asked again. */
const RECHECK_MS = 2_000;

export const PREVIEW_AUTH_PATH = '/__berth/preview-auth';
const PREVIEW_LABEL = 'preview';

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
  ): Promise<{ session: Session; target: DevServer } | Refusal> {
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
    void this.core.ledger.noteActivity(session.id).catch(() => undefined);
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
    forwardRequest(req, res, auth.target, `the dev server of session '${name}'`);
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
    forwardUpgrade(req, socket, head, auth.target);
  }
}

function refuse(res: ServerResponse, r: Refusal): void {
  refusePreview(res, r.status, r.message);
}
