import type { SessionEvent } from '@berth/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from './auth/auth.js';

/**
 * A session's env values are its owner's: what was passed with `berth new --env` is often a
 * credential (DATABASE_URL=postgres://u:secret@…). Whoever else may see the session (a teammate,
 * an admin who does not own it) is told the names, each value null. The host's user on the unix
 * socket sees them: it runs the host and its engine, where they are in the open anyway. This keeps
 * them out of listings, event frames and dashboards; it is no wall against one who may run
 * commands in the session, where its environment is theirs to read.
 */

type Owned = { ownerId?: unknown; env?: unknown };

/** Whether this principal may read the values of a session owned by `ownerId`. */
export function seesEnvValues(p: Principal | null, ownerId: string | null): boolean {
  if (p?.kind === 'local') return true;
  return p?.kind === 'user' && ownerId !== null && ownerId === p.user.id;
}

function isSession(o: Record<string, unknown>): o is Record<string, unknown> & Owned {
  return 'env' in o && 'ownerId' in o && o.env !== null && typeof o.env === 'object';
}

function redacted(s: Record<string, unknown> & Owned): Record<string, unknown> {
  const env = Object.fromEntries(Object.keys(s.env as object).map((k) => [k, null]));
  return { ...s, env };
}

type Sees = (ownerId: string | null) => boolean;

function mapSessions(payload: unknown, sees: Sees): unknown {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload;
  const o = payload as Record<string, unknown>;
  if (isSession(o)) return sees((o.ownerId as string | null) ?? null) ? o : redacted(o);
  if (o.session && typeof o.session === 'object') return { ...o, session: mapSessions(o.session, sees) };
  if (Array.isArray(o.sessions)) return { ...o, sessions: o.sessions.map((s) => mapSessions(s, sees)) };
  return payload;
}

/**
 * A session, a `{ session }` or a `{ sessions }` answer with the env values of each session this
 * principal may not read set to null; anything else as it is.
 */
export function withEnvFor(p: Principal | null, payload: unknown): unknown {
  return mapSessions(payload, (ownerId) => seesEnvValues(p, ownerId));
}

/**
 * A preSerialization hook for the whole app: every answer naming a session, whatever route it
 * comes from, shows env values only to those who may read them. Strings, buffers and streams do
 * not pass this hook; the one stream with a session in it (create's progress) goes to its owner.
 */
export async function hideEnvFromNonOwners(req: FastifyRequest, _reply: FastifyReply, payload: unknown) {
  return withEnvFor(req.principal, payload);
}

const redactedBodies = new WeakMap<SessionEvent, Map<string, string>>();

/**
 * An event's frame body (as this client would get it otherwise) without its session's env
 * values: made once per event and body, shared by every socket that may not read them.
 */
export function envRedactedEventBody(e: SessionEvent, body: string): string {
  let bodies = redactedBodies.get(e);
  if (bodies === undefined) {
    bodies = new Map();
    redactedBodies.set(e, bodies);
  }
  let out = bodies.get(body);
  if (out === undefined) {
    out = JSON.stringify(mapSessions(JSON.parse(body), () => false));
    bodies.set(body, out);
  }
  return out;
}
