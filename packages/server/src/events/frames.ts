import {
  type Session as ApiSession,
  type ClientMessage,
  type Problem,
  type ServerFrameOf,
  type ServerFrameType,
  Session as SessionSchema,
  SubscribeLogs,
  SubscribeSession,
  UnsubscribeLogs,
  UnsubscribeSession,
} from '@berth/api';
import type { Session, SessionEvent } from '@berth/core';
import { Compile } from 'typebox/compile';
import { problem } from '../problems.js';

/** What follows `type` and `seq` in a server frame of that type. */
export type Payload<T extends ServerFrameType> = Omit<ServerFrameOf<T>, 'type' | 'seq'>;

const VALIDATORS = new Map<string, ReturnType<typeof Compile>>([
  ['subscribe.session', Compile(SubscribeSession)],
  ['unsubscribe.session', Compile(UnsubscribeSession)],
  ['subscribe.logs', Compile(SubscribeLogs)],
  ['unsubscribe.logs', Compile(UnsubscribeLogs)],
]);
const MESSAGE_TYPES = [...VALIDATORS.keys()].join(', ');

/** The fields the API's `Session` schema names, as REST's response serializer keeps them. */
const SESSION_FIELDS = Object.keys(SessionSchema.properties) as Array<keyof ApiSession>;

/** Core's session as the API shows it: the schema's fields only, so nothing else in core leaks. */
function apiSession(s: Session): ApiSession {
  const out: Record<string, unknown> = {};
  const source = s as unknown as Record<string, unknown>;
  for (const k of SESSION_FIELDS) out[k] = source[k];
  return out as ApiSession;
}

function payloadOf(e: SessionEvent): string | null {
  switch (e.type) {
    case 'session.created':
    case 'session.updated':
      return JSON.stringify({ session: apiSession(e.session) } satisfies Payload<'session.created'>);
    case 'session.deleted':
      return JSON.stringify({ id: e.id, name: e.name } satisfies Payload<'session.deleted'>);
    case 'session.status.changed':
      return JSON.stringify({
        session: apiSession(e.session),
        from: e.from,
        to: e.to,
        reason: e.reason,
      } satisfies Payload<'session.status.changed'>);
    case 'container.health':
      return JSON.stringify({
        session: apiSession(e.session),
        containerId: e.containerId,
        state: e.state,
        exitCode: e.exitCode,
        oomKilled: e.oomKilled,
        reason: e.reason,
      } satisfies Payload<'container.health'>);
    case 'agent.status.changed':
      return JSON.stringify({
        session: apiSession(e.session),
        from: e.from,
        to: e.to,
        exitCode: e.exitCode,
      } satisfies Payload<'agent.status.changed'>);
    default:
      return null; // a kind of event this endpoint does not speak (yet)
  }
}

/** Each event is serialized once, however many clients it goes to. */
const payloads = new WeakMap<SessionEvent, string | null>();
export function cachedPayload(e: SessionEvent): string | null {
  let p = payloads.get(e);
  if (p === undefined) {
    p = payloadOf(e);
    payloads.set(e, p);
  }
  return p;
}

export function sessionIdOf(e: SessionEvent): string | null {
  if (e.type === 'session.deleted') return e.id;
  return 'session' in e ? e.session.id : null;
}

export function requestIdOf(msg: unknown): string | number | undefined {
  const id = (msg as { id?: unknown } | null)?.id;
  if (typeof id === 'string' && id.length <= 64) return id;
  return Number.isInteger(id) ? (id as number) : undefined;
}

export function checkMessage(msg: unknown): { msg: ClientMessage } | { problem: Problem } {
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    return {
      problem: problem('invalid_input', `a message must be a JSON object with a "type" (${MESSAGE_TYPES})`),
    };
  }
  const type = (msg as { type?: unknown }).type;
  const validator = typeof type === 'string' ? VALIDATORS.get(type) : undefined;
  if (!validator) {
    const shown = JSON.stringify(type ?? null).slice(0, 80);
    return {
      problem: problem('invalid_input', `unknown message type ${shown}; send one of ${MESSAGE_TYPES}`),
    };
  }
  if (validator.Check(msg)) return { msg: msg as ClientMessage };
  const first = validator.Errors(msg)[0];
  const where = first?.instancePath ? `${first.instancePath} ` : '';
  return { problem: problem('invalid_input', `${type}: ${where}${first?.message ?? 'is not valid'}`) };
}
