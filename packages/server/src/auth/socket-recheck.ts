import type { AccountStore, Core } from '@berth/core';
import type { FastifyBaseLogger } from 'fastify';
import type { WebSocket } from 'ws';
import { isAdmin, type Principal, publicUser } from './auth.js';
import type { SessionAccess } from './session-access.js';

/** How often an open terminal's or events stream's right to stay open is asked again. */
export const DEFAULT_RECHECK_MS = 30_000;

/** The WebSocket close code for "policy violation": the client may not have this any more. */
const POLICY_VIOLATION = 1008;
/** berth's close code for "your login ended" (as LiveSockets uses): the dashboard signs out, no retry. */
const LOGIN_ENDED = 4401;
const ROLE_CHANGED = 'your role changed: connect again';

/**
 * Open terminal and events WebSockets are authorised once, at the upgrade, and may stay open for
 * days. This asks again every `intervalMs` whether the principal still may: its token unrevoked
 * and unexpired (a browser login ends after 12 h), its user still there, and for a terminal the
 * session still theirs, their team's, or they an admin; for the events stream, an admin still an
 * admin (a member's view is narrowed by Visibility's own refresh). When not, the socket is closed
 * with 1008 and why (an events stream whose login ended: 4401, the dashboard's sign-out). (Revoking a token or logging out closes its sockets at once: LiveSockets.)
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
    this.watch(socket, () => this.terminalRefusal(principal, sessionId), log, { sessionId });
  }

  /** Watches an events socket until it closes. The host's owner is never cut off. */
  watchEvents(socket: WebSocket, principal: Principal | null, log: FastifyBaseLogger): void {
    if (principal?.kind !== 'user') return;
    // A login that ended is the dashboard's sign-out, not a reason to reconnect.
    const code = (reason: string) => (reason === ROLE_CHANGED ? POLICY_VIOLATION : LOGIN_ENDED);
    this.watch(socket, () => this.eventsRefusal(principal), log, { stream: 'events' }, code);
  }

  private watch(
    socket: WebSocket,
    refusal: () => Promise<string | null>,
    log: FastifyBaseLogger,
    context: Record<string, string>,
    codeOf: (reason: string) => number = () => POLICY_VIOLATION,
  ): void {
    let checking = false;
    const tick = async () => {
      // A slow store must not pile checks up behind each other.
      if (checking) return;
      checking = true;
      try {
        const reason = await refusal();
        if (reason && socket.readyState === socket.OPEN) socket.close(codeOf(reason), reason);
      } catch (err) {
        // The store could not answer: the next tick asks again rather than cutting everyone off.
        log.warn({ err, ...context }, 'could not re-check a WebSocket');
      } finally {
        checking = false;
      }
    };
    const timer = setInterval(() => void tick(), this.intervalMs);
    // Never what keeps the process alive; gone with the socket.
    timer.unref();
    socket.once('close', () => clearInterval(timer));
  }

  /** Why this principal's token no longer holds, or the principal as its user is now. */
  private async current(p: Principal & { kind: 'user' }): Promise<string | Principal> {
    const token = await this.accounts.getToken(p.tokenId);
    if (!token || token.revokedAt) return 'credentials revoked: sign in again';
    if (token.expiresAt && Date.parse(token.expiresAt) <= Date.now()) return 'login expired: sign in again';
    const user = await this.accounts.getUser(token.userId);
    if (!user) return 'your user no longer exists';
    // The user as they are now: a role or a team they lost counts from this moment.
    return { ...p, user: publicUser(user) };
  }

  /** Why this principal may no longer hold the session's terminal, or null while it may. */
  private async terminalRefusal(p: Principal & { kind: 'user' }, sessionId: string): Promise<string | null> {
    const now = await this.current(p);
    if (typeof now === 'string') return now;
    const session = await this.core.service.get(sessionId).catch(() => null);
    // A session that is gone ends its terminal by itself.
    if (!session) return null;
    return (await this.access.canSee(now))(session) ? null : 'you may no longer see this session';
  }

  /**
   * Why this principal may no longer hold its events stream. An admin's stream shows every session
   * and host paths and is never narrowed, so one who lost the role is sent to connect again.
   */
  private async eventsRefusal(p: Principal & { kind: 'user' }): Promise<string | null> {
    const now = await this.current(p);
    if (typeof now === 'string') return now;
    return isAdmin(p) && !isAdmin(now) ? ROLE_CHANGED : null;
  }
}
