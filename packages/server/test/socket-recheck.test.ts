import { randomUUID } from 'node:crypto';
import { BerthClient } from '@berth/api/node';
import { makeRepo, testCore } from '@berth/testkit';
import { makeToken, makeUser, type TestServer, testServer } from '@berth/testkit/server';
import { describe, expect, it, onTestFinished } from 'vitest';
import type WebSocket from 'ws';
import { newToken } from '../src/auth/credentials.js';

/** Open terminals are re-authorised this often here (30 s in a real server). */
const RECHECK_MS = 200;

async function serverOnTcp() {
  const t = await testServer(await testCore(), { socketRecheckMs: RECHECK_MS });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const addr = t.app.server.address();
  if (!addr || typeof addr === 'string') throw new Error('no TCP address');
  return { t, url: `http://127.0.0.1:${addr.port}` };
}

/** Waits for the socket to open; `closed` then settles to its close code and reason. */
async function opened(ws: WebSocket): Promise<{ closed: Promise<{ code: number; reason: string }> }> {
  onTestFinished(() => ws.terminate());
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  // Wrapped: an async function returning the promise itself would wait for the close.
  return { closed };
}

/** Resolves with what `closed` settles to, or 'still open' after `ms`. */
function within<T>(closed: Promise<T>, ms: number): Promise<T | 'still open'> {
  return Promise.race([closed, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);
}

/** A token of `userId` that ends `lifetimeMs` from now, as a browser login ends after 12 h. */
async function shortToken(t: TestServer, userId: string, lifetimeMs: number): Promise<string> {
  const { token, tokenHash } = newToken();
  await t.core.store.accounts.insertToken({
    id: randomUUID(),
    userId,
    kind: 'api',
    name: 'short',
    tokenHash,
    createdAt: new Date().toISOString(),
    expiresAt: new Date(Date.now() + lifetimeMs).toISOString(),
    lastUsedAt: null,
    revokedAt: null,
  });
  return token;
}

describe('open terminal WebSockets are re-authorised (security review F22)', () => {
  it("closes a member's shell with 1008 once they are removed from the team owning the session", async () => {
    const { t, url } = await serverOnTcp();
    const owner = await makeUser(t.core, 'olga', 'member');
    const member = await makeUser(t.core, 'mia', 'member');
    const { token } = await makeToken(t.core, member.id);
    expect(
      (await t.inject({ method: 'POST', url: '/api/v1/teams', payload: { name: 'red' } })).statusCode,
    ).toBe(201);
    for (const username of ['olga', 'mia']) {
      const add = await t.inject({ method: 'POST', url: '/api/v1/teams/red/members', payload: { username } });
      expect(add.statusCode).toBe(200);
    }
    const team = await t.core.store.accounts.getTeamByName('red');
    await t.core.service.create({ name: 'shared', repo: makeRepo(), ownerId: owner.id, teamId: team!.id });

    const { closed } = await opened(new BerthClient({ url, token }).shell('shared', { cols: 80, rows: 24 }));
    // Still allowed: several re-checks pass and the shell stays open.
    expect(await within(closed, RECHECK_MS * 4)).toBe('still open');

    const removed = await t.inject({ method: 'DELETE', url: '/api/v1/teams/red/members/mia' });
    expect(removed.statusCode).toBe(200);
    expect(await within(closed, RECHECK_MS * 10)).toEqual({
      code: 1008,
      reason: 'you may no longer see this session',
    });
  });

  it('closes a shell with 1008 once the token that opened it expires', async () => {
    const { t, url } = await serverOnTcp();
    const member = await makeUser(t.core, 'mia', 'member');
    await t.core.service.create({ name: 'mine', repo: makeRepo(), ownerId: member.id });
    const lifetimeMs = 3_000;
    const token = await shortToken(t, member.id, lifetimeMs);
    const { closed } = await opened(new BerthClient({ url, token }).shell('mine', { cols: 80, rows: 24 }));
    expect(await within(closed, lifetimeMs + RECHECK_MS * 10)).toEqual({
      code: 1008,
      reason: 'login expired: sign in again',
    });
  });
});

describe('open events WebSockets are re-authorised (security review F22)', () => {
  it('closes the events stream with 4401 (the dashboard signs out, no retry) once the token that opened it expires', async () => {
    const { t, url } = await serverOnTcp();
    const member = await makeUser(t.core, 'mia', 'member');
    const lifetimeMs = 3_000;
    const token = await shortToken(t, member.id, lifetimeMs);
    const { closed } = await opened(new BerthClient({ url, token }).events());
    // While the token is good, several re-checks pass and the stream stays open.
    expect(await within(closed, RECHECK_MS * 4)).toBe('still open');
    expect(await within(closed, lifetimeMs + RECHECK_MS * 10)).toEqual({
      code: 4401,
      reason: 'login expired: sign in again',
    });
  });

  it("closes an admin's events stream with 1008 once they are no longer an admin, so it reconnects with a member's view", async () => {
    const { t, url } = await serverOnTcp();
    const admin = await makeUser(t.core, 'ada', 'admin');
    const { token } = await makeToken(t.core, admin.id);
    const { closed } = await opened(new BerthClient({ url, token }).events());
    expect(await within(closed, RECHECK_MS * 4)).toBe('still open');

    await t.core.store.accounts.setRole(admin.id, 'member');
    expect(await within(closed, RECHECK_MS * 10)).toEqual({
      code: 1008,
      reason: 'your role changed: connect again',
    });
  });
});
