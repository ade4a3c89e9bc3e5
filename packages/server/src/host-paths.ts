import type { SessionEvent } from '@berth/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isAdmin } from './auth/auth.js';

/**
 * Where berth keeps things on the host (a session's working copy, its home, socket and config
 * file) is for admins: a member needs none of it to use a session, and each path is a map of the
 * host for one who means harm. Sessions keep `repo`, which the dashboard shows and searches.
 */

type WithPath = { workspacePath?: unknown };

function withoutPath<T extends WithPath>(s: T): Omit<T, 'workspacePath'> {
  const { workspacePath: _hidden, ...rest } = s;
  return rest;
}

/** A session, a `{ session }` or a `{ sessions }` answer without host paths; anything else as it is. */
export function withoutHostPaths(payload: unknown): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const o = payload as Record<string, unknown>;
  if ('workspacePath' in o) return withoutPath(o);
  if (o.session && typeof o.session === 'object') return { ...o, session: withoutHostPaths(o.session) };
  if (Array.isArray(o.sessions)) return { ...o, sessions: o.sessions.map(withoutHostPaths) };
  return payload;
}

/** A preSerialization hook for routes answering with sessions: a non-admin's answer has no host paths. */
export async function hideHostPathsFromMembers(req: FastifyRequest, _reply: FastifyReply, payload: unknown) {
  return isAdmin(req.principal) ? payload : withoutHostPaths(payload);
}

const memberBodies = new WeakMap<SessionEvent, string>();

/** An event's frame body as a member gets it: made once per event, shared by every member's socket. */
export function memberEventBody(e: SessionEvent, body: string): string {
  let out = memberBodies.get(e);
  if (out === undefined) {
    out = JSON.stringify(withoutHostPaths(JSON.parse(body)));
    memberBodies.set(e, out);
  }
  return out;
}
