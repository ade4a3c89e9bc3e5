import { UpgradeRequired } from '@berth/core';
import type { FastifyRequest } from 'fastify';

/**
 * A WebSocket route's `preHandler`: a plain GET (no `Upgrade: websocket`) gets a 426 problem that
 * says how to open it, where @fastify/websocket would answer an empty 404. It runs after the
 * route's auth and visibility checks, so a session that is absent is still a 404.
 */
export async function requireUpgrade(req: FastifyRequest): Promise<void> {
  if (req.ws) return;
  throw new UpgradeRequired(`${req.method} ${req.url.split('?')[0]} answers only a WebSocket upgrade`, {
    hint: 'open it as a WebSocket (ws:// or wss://, with `Upgrade: websocket`), as `berth shell` and the dashboard do',
  });
}
