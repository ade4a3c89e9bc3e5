import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';

/**
 * Open WebSockets by the token that opened them, so revoking a token (or logging out) closes
 * its sockets at once instead of at their next message.
 */
export class LiveSockets {
  private readonly byToken = new Map<string, Set<WebSocket>>();

  watch(req: FastifyRequest, socket: WebSocket): void {
    const p = req.principal;
    if (p?.kind !== 'user') return;
    const set = this.byToken.get(p.tokenId) ?? new Set();
    set.add(socket);
    this.byToken.set(p.tokenId, set);
    socket.once('close', () => {
      set.delete(socket);
      if (set.size === 0) this.byToken.delete(p.tokenId);
    });
  }

  closeAllOf(tokenId: string): void {
    for (const s of this.byToken.get(tokenId) ?? []) s.close(4401, 'credentials revoked');
    this.byToken.delete(tokenId);
  }
}
