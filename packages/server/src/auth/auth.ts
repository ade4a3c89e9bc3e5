import { isIP, type Socket } from 'node:net';
import type { AccountStore } from '@berth/core';
import { Forbidden, Unauthorized, type User, type UserRecord } from '@berth/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isDashboardRequest } from '../routes/dashboard.js';
import { csrfTokenFor, hashToken, safeEqual } from './credentials.js';

/** Who is asking. The unix socket's file mode is its auth: whoever reaches it is the host's owner. */
export type Principal =
  | { kind: 'local' }
  | { kind: 'user'; user: User; tokenId: string; via: 'token' | 'cookie'; tokenHash: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Marks connections accepted on the daemon's unix socket (see daemon.ts). */
export const LOCAL_SOCKET = Symbol('berth.local-socket');

export const SESSION_COOKIE = 'berth_session';
export const CSRF_HEADER = 'x-berth-csrf';

const LOGIN_ROUTE = 'POST /api/v1/auth/login';
const LOGOUT_ROUTE = 'POST /api/v1/auth/logout';
/**
 * Routes that answer without credentials on TCP: login is how credentials are made, and logging
 * out of a login that has ended (or never was) still makes the browser forget its cookie. A bad
 * login cookie on them is ignored, not refused: another page must not be able to lock one out.
 */
const PUBLIC_ROUTES = new Set(['GET /health', LOGIN_ROUTE, LOGOUT_ROUTE]);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface AuthOptions {
  accounts: AccountStore;
  secret: Buffer;
  /** Host names this server answers to (besides loopback); stops DNS rebinding. */
  publicHosts: string[];
}

export function isLocal(req: FastifyRequest): boolean {
  return (req.raw.socket as Socket & { [LOCAL_SOCKET]?: boolean })[LOCAL_SOCKET] === true;
}

function hostName(hostHeader: string | undefined): string | null {
  if (!hostHeader) return null;
  try {
    return new URL(`http://${hostHeader}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
}

/**
 * The Origin, when a browser sent one, must be this server as the browser reached it: scheme,
 * host and port. Behind a TLS proxy the scheme and host are the ones a trusted proxy
 * (BERTH_TRUST_PROXY) forwarded; from anyone else, the connection's own.
 */
export function originMatches(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    const o = new URL(origin);
    const h = new URL(`${req.protocol}://${req.host}`);
    const port = (u: URL) => u.port || (u.protocol === 'https:' ? '443' : '80');
    return (
      o.protocol === h.protocol &&
      o.hostname.toLowerCase() === h.hostname.toLowerCase() &&
      port(o) === port(h)
    );
  } catch {
    return false;
  }
}

const publicUser = (u: UserRecord): User => ({
  id: u.id,
  username: u.username,
  role: u.role,
  createdAt: u.createdAt,
});

/**
 * Every request and WebSocket upgrade passes here first. Unix socket: local principal. TCP: the
 * Host header must be one of ours, then a bearer token or a login cookie (with a CSRF token and a
 * same-origin check on state changes); only `/health`, login and the dashboard's static files
 * answer without one.
 */
/** The host names the server answers to: loopback and the configured public names. */
export function allowedHostNames(publicHosts: string[]): Set<string> {
  return new Set(['localhost', '127.0.0.1', '::1', ...publicHosts.map((h) => h.toLowerCase())]);
}

export function registerAuth(app: FastifyInstance, opts: AuthOptions): void {
  // `<name>.preview.<one of these>` is served by the preview proxy before any of this runs
  // (previews/preview-proxy.ts): here such a host is refused like any unknown one.
  const allowedHosts = allowedHostNames(opts.publicHosts);
  app.decorateRequest('principal', null);

  app.addHook('onRequest', async (req, reply) => {
    if (isLocal(req)) {
      req.principal = { kind: 'local' };
      return;
    }
    const host = hostName(req.host);
    if (!host || !allowedHosts.has(host)) {
      throw new Forbidden(`this server does not answer to the host name ${JSON.stringify(req.host)}`, {
        hint: 'add it with BERTH_PUBLIC_HOSTS, or use the address the server was set up with',
      });
    }
    // The dashboard's static files (its login page among them) load without credentials; the API does not.
    if (isDashboardRequest(req)) return;
    const routeKey = `${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`;
    const bearer = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const cookies = sessionCookies(req.headers.cookie);
    if (bearer) req.principal = await principalFor(opts.accounts, bearer, 'token');
    else if (PUBLIC_ROUTES.has(routeKey)) req.principal = await lenientCookiePrincipal(opts, req, cookies);
    else if (cookies.length > 1) {
      clearTossedCookies(reply, req);
      throw new Unauthorized(
        'this request carries more than one berth login cookie: another site may have set one to act as someone else',
        {
          hint: "clear this site's cookies in the browser (this answer cleared the ones it could), then sign in again",
        },
      );
    } else if (cookies.length === 1) req.principal = await principalFor(opts.accounts, cookies[0]!, 'cookie');
    const upgrade = (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
    if (upgrade && !originMatches(req)) {
      // A page elsewhere may open WebSockets to us with whatever the browser holds: refuse it.
      throw new Forbidden('WebSocket from another site refused', {
        hint: 'open it from berth’s own address',
      });
    }
    if (req.principal?.kind === 'user' && req.principal.via === 'cookie') {
      // Ambient credentials: the browser sends them on its own, so prove the page is ours.
      if (!originMatches(req) || (upgrade && req.headers.origin === undefined)) {
        throw new Forbidden('the request came from another site', { hint: 'use berth from its own address' });
      }
      // A login proves itself with its password (and the origin check below); the tab signing in
      // has no CSRF token yet, whatever cookie the browser already holds.
      if (!SAFE_METHODS.has(req.method) && routeKey !== LOGIN_ROUTE) {
        const sent = req.headers[CSRF_HEADER];
        const want = csrfTokenFor(opts.secret, req.principal.tokenHash);
        if (typeof sent !== 'string' || !safeEqual(sent, want)) {
          throw new Forbidden('missing or wrong CSRF token', {
            hint: `send the ${CSRF_HEADER} header from login`,
          });
        }
      }
    }
    if (!req.principal && !PUBLIC_ROUTES.has(routeKey)) {
      throw new Unauthorized('sign in first: this server needs credentials on TCP', {
        hint: 'run `berth login --url URL`, or send `Authorization: Bearer <token>` (`berth token create`)',
      });
    }
    if ((routeKey === LOGIN_ROUTE || routeKey === LOGOUT_ROUTE) && !originMatches(req)) {
      throw new Forbidden(`the ${routeKey === LOGIN_ROUTE ? 'login' : 'logout'} came from another site`, {
        hint: 'use berth from its own address',
      });
    }
  });
}

/**
 * Every `berth_session` value the request carries. A browser sends one per cookie that matches:
 * berth's own (this host, Path=/) and any another page set for a parent domain or a longer path
 * ("cookie tossing"), the longer paths first. The first is not necessarily berth's.
 */
export function sessionCookies(header: string | undefined): string[] {
  const values: string[] = [];
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === SESSION_COOKIE) values.push(part.slice(i + 1).trim());
  }
  return values;
}

/**
 * On public routes: the login a cookie proves, if one does; a cookie that proves none is ignored.
 * When several are valid (another user's login tossed in beside this one), only the one this tab
 * holds the CSRF token of counts, as a logout needs.
 */
async function lenientCookiePrincipal(
  opts: AuthOptions,
  req: FastifyRequest,
  cookies: string[],
): Promise<Principal | null> {
  // Each costs a store lookup: a handful is all a browser could honestly send.
  const candidates = await Promise.all(
    cookies.slice(0, 4).map((c) =>
      principalFor(opts.accounts, c, 'cookie').catch((err: unknown) => {
        if (err instanceof Unauthorized) return null;
        throw err;
      }),
    ),
  );
  const valid = candidates.filter((p): p is Principal & { kind: 'user' } => p?.kind === 'user');
  if (valid.length <= 1) return valid[0] ?? null;
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string') return null;
  return valid.find((p) => safeEqual(sent, csrfTokenFor(opts.secret, p.tokenHash))) ?? null;
}

/**
 * Expires the `berth_session` cookies another page may have tossed in, for each path the
 * request's path is under: with Domain= each parent domain of this host (how a preview on
 * `x.preview.<host>` reaches us), and for this host alone below Path=/ (how a page on another port
 * of it, a preview's host port, does: cookies ignore ports). Berth's own, this host at Path=/,
 * is never among them.
 */
export function clearTossedCookies(reply: FastifyReply, req: FastifyRequest): void {
  const host = hostName(req.host);
  if (!host) return;
  const labels = host.split('.');
  // `example.com` but not `com`: a browser takes no cookie for a top-level domain anyway.
  const parents = labels.length === 1 ? [host] : labels.slice(0, -1).map((_, i) => labels.slice(i).join('.'));
  const domains = isIP(host) ? [] : parents;
  for (const path of pathsAbove(req.url.split('?')[0] ?? '/')) {
    for (const domain of domains) reply.clearCookie(SESSION_COOKIE, { domain, path });
    if (path !== '/') reply.clearCookie(SESSION_COOKIE, { path });
  }
}

/**
 * The cookie paths a browser sends for this path: `/`, `/api`, `/api/`, `/api/v1`, ... up to it.
 * Only plain segments, and a few: a cookie path cannot hold every character a URL can.
 */
function pathsAbove(path: string): string[] {
  const out = ['/'];
  const segments = path.split('/').filter(Boolean);
  let at = '';
  for (const [i, seg] of segments.slice(0, 8).entries()) {
    if (!/^[\w.~%!$&'()*+,=:@-]{1,64}$/.test(seg)) break;
    at += `/${seg}`;
    out.push(at);
    if (i < segments.length - 1 || path.endsWith('/')) out.push(`${at}/`);
  }
  return out;
}

async function principalFor(
  accounts: AccountStore,
  token: string,
  via: 'token' | 'cookie',
): Promise<Principal> {
  const tokenHash = hashToken(token);
  const record = await accounts.getTokenByHash(tokenHash);
  const now = new Date();
  const expired = record?.expiresAt ? Date.parse(record.expiresAt) <= now.getTime() : false;
  const rightKind = record && (via === 'cookie' ? record.kind === 'web' : record.kind === 'api');
  if (!record || !rightKind || record.revokedAt || expired) {
    throw new Unauthorized(
      via === 'cookie' ? 'your login has ended' : 'this token is not valid (revoked or unknown)',
      {
        hint: via === 'cookie' ? 'log in again' : 'create a new one with `berth token create`',
      },
    );
  }
  const user = await accounts.getUser(record.userId);
  if (!user) throw new Unauthorized('the user of this token no longer exists');
  // Best effort: a failed bookkeeping write never fails the request.
  void accounts.touchToken(record.id, now.toISOString()).catch(() => undefined);
  return { kind: 'user', user: publicUser(user), tokenId: record.id, via, tokenHash };
}

export function isAdmin(p: Principal | null): boolean {
  return p?.kind === 'local' || (p?.kind === 'user' && p.user.role === 'admin');
}

export function requireAdmin(req: FastifyRequest): void {
  if (!isAdmin(req.principal)) {
    throw new Forbidden('only an admin may do this', { hint: 'ask an admin of this berth server' });
  }
}

export { publicUser };
