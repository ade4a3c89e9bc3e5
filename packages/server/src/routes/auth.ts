import { randomUUID } from 'node:crypto';
import { API_PREFIX, AuthSchemas as S } from '@berth/api';
import {
  type AccountStore,
  Forbidden,
  NotFound,
  parseUsername,
  RateLimited,
  type TokenRecord,
  Unauthorized,
  type UserRecord,
} from '@berth/core';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  clearTossedCookies,
  isAdmin,
  publicUser,
  requireAdmin,
  SESSION_COOKIE,
  sessionCookies,
} from '../auth/auth.js';
import { csrfTokenFor, DUMMY_HASH, hashPassword, newToken, verifyPassword } from '../auth/credentials.js';
import type { LiveSockets } from '../auth/live-sockets.js';
import { LoginThrottle, type Refusal } from '../auth/login-throttle.js';
import { isHttps } from '../auth/transport.js';

export interface AuthRouteOptions {
  accounts: AccountStore;
  secret: Buffer;
  sockets: LiveSockets;
  /** Browser logins last this long. */
  loginTtlMs?: number;
}

const tokenInfo = (t: TokenRecord) => ({
  id: t.id,
  name: t.name,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

function refusal(why: Refusal, reply: FastifyReply): RateLimited {
  if (why === 'too-many-failures') {
    return new RateLimited('too many failed logins in the last minute', {
      hint: 'wait a minute, then try again',
    });
  }
  // A check is running for this user or address, or the server runs as many as it will: soon is fine.
  reply.header('retry-after', '1');
  if (why === 'one-at-a-time') {
    return new RateLimited('a login for this user or from this address is being checked right now', {
      hint: 'wait a second, then try again: logins are checked one at a time',
    });
  }
  return new RateLimited('the server is checking as many logins as it will at once', {
    hint: 'wait a second, then try again',
  });
}

export const authRoutes: FastifyPluginAsyncTypebox<AuthRouteOptions> = async (app, opts) => {
  const { accounts, secret, sockets } = opts;
  const throttle = new LoginThrottle();
  const ttl = opts.loginTtlMs ?? 12 * 3600_000;

  /** The user a token route acts for: yourself, or (admin, host owner) anyone by name. */
  async function subject(req: FastifyRequest, username: string | undefined) {
    const p = req.principal;
    if (username !== undefined) {
      if (!isAdmin(p) && !(p?.kind === 'user' && p.user.username === username)) {
        throw new Forbidden("only an admin may manage another user's tokens");
      }
      const u = await accounts.getUserByName(username);
      if (!u) throw new NotFound(`no user named '${username}'`, { hint: 'list users with `berth user ls`' });
      return u;
    }
    if (p?.kind === 'user') return (await accounts.getUser(p.user.id))!;
    throw new Unauthorized('name the user: the unix socket acts as the host owner, who is no berth user', {
      hint: 'pass --user NAME',
    });
  }

  /**
   * The user whose password this is, or a 401. The attempt is reserved before the slow check: a
   * burst of logins gets one check per user and address at a time, the rest a 429 at once.
   */
  async function checkPassword(username: string, password: string, ip: string, reply: FastifyReply) {
    const attempt = throttle.begin([`user:${username}`, `ip:${ip}`]);
    if (!attempt.ok) throw refusal(attempt.why, reply);
    let user: UserRecord | null = null;
    let ok = false;
    try {
      user = await accounts.getUserByName(username);
      // Verify against a dummy hash for unknown users: the answer takes as long either way.
      ok = await verifyPassword(user?.passwordHash ?? (await DUMMY_HASH), password);
    } finally {
      attempt.finish(Boolean(user && ok));
    }
    if (!user || !ok) throw new Unauthorized('wrong username or password');
    return user;
  }

  app.post(
    `${API_PREFIX}/auth/login`,
    { schema: { body: S.LoginRequest, response: { 200: S.LoginResponse } } },
    async (req, reply) => {
      const user = await checkPassword(req.body.username, req.body.password, req.ip, reply);
      const { token, tokenHash } = newToken();
      const now = new Date();
      await accounts.insertToken({
        id: randomUUID(),
        userId: user.id,
        kind: 'web',
        name: `login from ${req.ip}`,
        tokenHash,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + ttl).toISOString(),
        lastUsedAt: null,
        revokedAt: null,
      });
      // Cookies another page tossed in would ride beside the new one and get its requests refused.
      if (sessionCookies(req.headers.cookie).length > 0) clearTossedCookies(reply, req);
      reply.setCookie(SESSION_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        // https as the browser sees it: behind a TLS proxy, per BERTH_TRUST_PROXY.
        secure: isHttps(req),
        path: '/',
        maxAge: Math.floor(ttl / 1000),
      });
      return { user: publicUser(user), csrfToken: csrfTokenFor(secret, tokenHash) };
    },
  );

  // Without a valid login (it ended, or a tossed cookie hid it) this still makes the browser forget.
  app.post(`${API_PREFIX}/auth/logout`, async (req, reply) => {
    const p = req.principal;
    if (p?.kind === 'user') {
      await accounts.revokeToken(p.tokenId, new Date().toISOString());
      sockets.closeAllOf(p.tokenId);
    }
    clearTossedCookies(reply, req);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return reply.code(204).send();
  });

  app.get(`${API_PREFIX}/auth/me`, { schema: { response: { 200: S.Me } } }, async (req) => {
    const p = req.principal;
    if (p?.kind === 'user') return { kind: 'user' as const, user: p.user, via: p.via };
    return { kind: 'local' as const, user: null, via: 'unix-socket' as const };
  });

  app.get(`${API_PREFIX}/users`, { schema: { response: { 200: S.UserList } } }, async (req) => {
    requireAdmin(req);
    return { users: (await accounts.listUsers()).map(publicUser) };
  });

  app.post(
    `${API_PREFIX}/users`,
    { schema: { body: S.CreateUserRequest, response: { 201: S.User } } },
    async (req, reply) => {
      requireAdmin(req);
      const username = parseUsername(req.body.username);
      const user = {
        id: randomUUID(),
        username,
        role: req.body.role ?? 'member',
        passwordHash: req.body.password ? await hashPassword(req.body.password) : null,
        createdAt: new Date().toISOString(),
      };
      await accounts.insertUser(user);
      return reply.code(201).send(publicUser(user));
    },
  );

  app.get(
    `${API_PREFIX}/tokens`,
    { schema: { querystring: S.TokensQuery, response: { 200: S.TokenList } } },
    async (req) => {
      const u = await subject(req, req.query.username);
      return { tokens: (await accounts.listTokens(u.id)).map(tokenInfo) };
    },
  );

  app.post(
    `${API_PREFIX}/tokens`,
    { schema: { body: S.CreateTokenRequest, response: { 201: S.CreatedToken } } },
    async (req, reply) => {
      const u = await subject(req, req.body.username);
      const { token, tokenHash } = newToken();
      const record: TokenRecord = {
        id: randomUUID(),
        userId: u.id,
        kind: 'api',
        name: req.body.name,
        tokenHash,
        createdAt: new Date().toISOString(),
        expiresAt: null,
        lastUsedAt: null,
        revokedAt: null,
      };
      await accounts.insertToken(record);
      return reply.code(201).send({ token, info: tokenInfo(record) });
    },
  );

  app.delete(`${API_PREFIX}/tokens/:id`, { schema: { params: S.TokenRef } }, async (req, reply) => {
    const p = req.principal;
    const found = await accounts.getToken(req.params.id);
    const mine = found && p?.kind === 'user' && found.userId === p.user.id;
    // Someone else's token is as good as absent: 404, not 403.
    const target = found && found.kind === 'api' && (mine || isAdmin(p)) ? found : null;
    if (!target)
      throw new NotFound(`no token ${req.params.id}`, { hint: 'list tokens with `berth token ls`' });
    await accounts.revokeToken(target.id, new Date().toISOString());
    sockets.closeAllOf(target.id);
    return reply.code(204).send();
  });
};
