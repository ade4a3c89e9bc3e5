import type { AccountStore, Core } from '@berth/core';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { type Principal, publicUser } from './auth.js';
import type { SessionAccess } from './session-access.js';

/** How often an open terminal's right to stay open is asked again. */
export const DEFAULT_RECHECK_MS = 30_000;

/** The WebSocket close code for "policy violation": the client may not have this any more. */
const POLICY_VIOLATION = 1008;

/**
 * Open terminal WebSockets are authorised once, at the upgrade, and may stay open for days. This
 * asks again every `intervalMs` whether the principal still may: its token unrevoked and
 * unexpired (a browser login ends after 12 h), its user still there, and the session still
 * theirs, their team's, or they an admin. When not, the socket is closed with 1008 and why.
 * (Revoking a token or logging out closes its sockets at once: LiveSockets.)
 */
export class SocketRecheck {
  constructor(
    private readonly core: Core,
    private readonly accounts: AccountStore,
    private readonly access: SessionAccess,
    private readonly intervalMs = DEFAULT_RECHECK_MS,
  ) {}

  /** Watches a terminal socket of `sessionId` until it closes. The host's owner is never cut off. */
  watchTerminal(
    socket: WebSocket,
    principal: Principal | null,
    sessionId: string,
    log: FastifyBaseLogger,
  ): void {
    if (principal?.kind !== 'user') return;
    let checking = false;
    const tick = async () => {
      // A slow store must not pile checks up behind each other.
      if (checking) return;
      checking = true;
      try {
        const reason = await this.refusal(principal, sessionId);
        if (reason && socket.readyState === socket.OPEN) socket.close(POLICY_VIOLATION, reason);
      } catch (err) {
        // The store could not answer: the next tick asks again rather than cutting everyone off.
        log.warn({ err, sessionId }, 'could not re-check a terminal WebSocket');
      } finally {
        checking = false;
      }
    };
    const timer = setInterval(() => void tick(), this.intervalMs);
    // Never what keeps the process alive; gone with the socket.
    timer.unref();
    socket.once('close', () => clearInterval(timer));
  }

  /** Why this principal may no longer hold the session's terminal, or null while it may. */
  private async refusal(p: Principal & { kind: 'user' }, sessionId: string): Promise<string | null> {
    const token = await this.accounts.getToken(p.tokenId);
    if (!token || token.revokedAt) return 'credentials revoked: sign in again';
    if (token.expiresAt && Date.parse(token.expiresAt) <= Date.now()) return 'login expired: sign in again';
    const user = await this.accounts.getUser(token.userId);
    if (!user) return 'your user no longer exists';
    // The user as they are now: a role or a team they lost counts from this moment.
    const now: Principal = { ...p, user: publicUser(user) };
    const session = await this.core.service.get(sessionId).catch(() => null);
    // A session that is gone ends its terminal by itself.
    if (!session) return null;
    return (await this.access.canSee(now))(session) ? null : 'you may no longer see this session';
  }
}
