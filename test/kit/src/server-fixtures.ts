import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Core, Role } from '@berth/core';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { onTestFinished } from 'vitest';
// The server from its sources, the modules its own tests import; users and tokens are made as its
// auth module makes them (which the server does not export).
import { hashPassword, newToken } from '../../../packages/server/src/auth/credentials.js';
import {
  buildServer,
  closeUnixListener,
  listenOnUnixSocket,
  type ServerDeps,
} from '../../../packages/server/src/index.js';
import { testCore } from './fixtures.js';

export interface TestServer {
  app: FastifyInstance;
  core: Core;
  /** inject() as an admin with a bearer token (TCP semantics: auth is required). */
  inject(opts: InjectOptions | string): Promise<LightMyRequestResponse>;
  adminToken: string;
}

export async function makeUser(core: Core, username: string, role: Role, password = 'correct horse battery') {
  const user = {
    id: randomUUID(),
    username,
    role,
    passwordHash: await hashPassword(password),
    createdAt: new Date().toISOString(),
  };
  await core.store.accounts.insertUser(user);
  return user;
}

export async function makeToken(
  core: Core,
  userId: string,
  name = 'test',
): Promise<{ token: string; id: string }> {
  const { token, tokenHash } = newToken();
  const id = randomUUID();
  await core.store.accounts.insertToken({
    id,
    userId,
    kind: 'api',
    name,
    tokenHash,
    createdAt: new Date().toISOString(),
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
  });
  return { token, id };
}

/** `deps`: what a test sets beyond the core, e.g. `publicHosts`. */
export async function testServer(core?: Core, deps: Partial<ServerDeps> = {}): Promise<TestServer> {
  const c = core ?? (await testCore());
  const app = await buildServer({
    core: c,
    daemon: () => ({ pid: 1, version: 'test', socket: '', home: c.config.home, startedAt: '', tcp: null }),
    ...deps,
  });
  onTestFinished(() => app.close());
  const admin = await makeUser(c, `admin-${randomUUID().slice(0, 6)}`, 'admin');
  const { token } = await makeToken(c, admin.id);
  const inject = (opts: InjectOptions | string) => {
    const o: InjectOptions = typeof opts === 'string' ? { url: opts } : opts;
    return app.inject({ ...o, headers: { authorization: `Bearer ${token}`, ...(o.headers ?? {}) } });
  };
  return { app, core: c, inject, adminToken: token };
}

/** The app on a unix socket in the test's BERTH_HOME, local like the daemon's. */
export async function listenLocal(app: FastifyInstance, core: Core): Promise<string> {
  const path = join(core.config.home, 'test.sock');
  const unix = await listenOnUnixSocket(app, path);
  onTestFinished(() => closeUnixListener(unix));
  return path;
}
