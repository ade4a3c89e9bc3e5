import { type Static, Type } from 'typebox';
import { Problem, Session, SessionStatus } from './schemas.js';

/**
 * The events WebSocket, `GET /api/v1/events`: JSON text frames both ways.
 *
 * Every server frame has a `type` and a `seq` that rises by one per frame on that connection
 * (frames dropped for a slow reader are not numbered; a `notice` with `dropped` says how many
 * went). With no `subscribe.session`, a client gets every session's events; after one or more,
 * only those sessions'. Log lines flow only after `subscribe.logs`.
 */

/** Inbound frames larger than this close the connection with 1009. */
export const EVENTS_MAX_PAYLOAD = 64 * 1024;

/** Name or id, as in REST paths. */
const Ref = Type.String({ minLength: 1, maxLength: 128 });
/** Echoed on the `ack` or `error` that answers the message, so a client can match them up. */
const RequestId = Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Integer()]));

// ----------------------------------------------------------------------------------------------
// Client → server

export const SubscribeSession = Type.Object(
  { type: Type.Literal('subscribe.session'), session: Ref, id: RequestId },
  { additionalProperties: false },
);
export const UnsubscribeSession = Type.Object(
  { type: Type.Literal('unsubscribe.session'), session: Ref, id: RequestId },
  { additionalProperties: false },
);
export const SubscribeLogs = Type.Object(
  {
    type: Type.Literal('subscribe.logs'),
    session: Ref,
    /** Lines of history to send first (default 100); new lines follow. */
    tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 10_000 })),
    id: RequestId,
  },
  { additionalProperties: false },
);
export const UnsubscribeLogs = Type.Object(
  { type: Type.Literal('unsubscribe.logs'), session: Ref, id: RequestId },
  { additionalProperties: false },
);

export const ClientMessage = Type.Union([
  SubscribeSession,
  UnsubscribeSession,
  SubscribeLogs,
  UnsubscribeLogs,
]);
export type ClientMessage = Static<typeof ClientMessage>;
export type ClientMessageType = ClientMessage['type'];

// ----------------------------------------------------------------------------------------------
// Server → client

const Seq = Type.Integer({ minimum: 1 });
const SessionId = Type.Object({ id: Type.String(), name: Type.String() });

/** First frame on every connection: the server is subscribed and will not miss what follows. */
export const HelloFrame = Type.Object({
  type: Type.Literal('hello'),
  seq: Seq,
  version: Type.String(),
});

export const SessionCreatedFrame = Type.Object({
  type: Type.Literal('session.created'),
  seq: Seq,
  session: Session,
});

export const SessionUpdatedFrame = Type.Object({
  type: Type.Literal('session.updated'),
  seq: Seq,
  session: Session,
});

export const SessionDeletedFrame = Type.Object({
  type: Type.Literal('session.deleted'),
  seq: Seq,
  id: Type.String(),
  name: Type.String(),
});

export const SessionStatusChangedFrame = Type.Object({
  type: Type.Literal('session.status.changed'),
  seq: Seq,
  session: Session,
  from: SessionStatus,
  to: SessionStatus,
  reason: Type.Union([Type.String(), Type.Null()]),
});

export const AgentStateSchema = Type.Union([
  Type.Literal('starting'),
  Type.Literal('working'),
  Type.Literal('needs-input'),
  Type.Literal('idle'),
  Type.Literal('exited'),
]);

/** An agent session's agent changed what it is doing (its own signals, or its process). */
export const AgentStatusChangedFrame = Type.Object({
  type: Type.Literal('agent.status.changed'),
  seq: Seq,
  session: Session,
  from: Type.Union([AgentStateSchema, Type.Null()]),
  to: AgentStateSchema,
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
});

export const ContainerHealthState = Type.Union([
  Type.Literal('exited'),
  Type.Literal('vanished'),
  Type.Literal('paused'),
  Type.Literal('running'),
]);

/** The engine changed a session's container underneath it (killed, OOM, removed, paused, started). */
export const ContainerHealthFrame = Type.Object({
  type: Type.Literal('container.health'),
  seq: Seq,
  session: Session,
  containerId: Type.String(),
  state: ContainerHealthState,
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  oomKilled: Type.Boolean(),
  reason: Type.String(),
});

/** Complete lines of a session's container output, without their newlines; over 16 Ki characters, in pieces. */
export const LogsStreamFrame = Type.Object({
  type: Type.Literal('logs.stream'),
  seq: Seq,
  session: SessionId,
  stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
  lines: Type.Array(Type.String()),
});

/** The answer to a good client message. */
export const AckFrame = Type.Object({
  type: Type.Literal('ack'),
  seq: Seq,
  request: Type.Union([
    Type.Literal('subscribe.session'),
    Type.Literal('unsubscribe.session'),
    Type.Literal('subscribe.logs'),
    Type.Literal('unsubscribe.logs'),
  ]),
  session: SessionId,
  id: RequestId,
});

export const NoticeCode = Type.Union([
  /** Frames were dropped because the client read too slowly; `dropped` says how many. */
  Type.Literal('dropped'),
  /** A log follow ended (its container stopped); it resumes when the session runs again. */
  Type.Literal('logs.ended'),
]);

export const NoticeFrame = Type.Object({
  type: Type.Literal('notice'),
  seq: Seq,
  code: NoticeCode,
  message: Type.String(),
  dropped: Type.Optional(Type.Integer({ minimum: 1 })),
  session: Type.Optional(SessionId),
});

/** A client message the server could not act on; the connection stays open. */
export const ErrorFrame = Type.Object({
  type: Type.Literal('error'),
  seq: Seq,
  problem: Problem,
  id: RequestId,
});

export const ServerFrame = Type.Union([
  HelloFrame,
  SessionCreatedFrame,
  SessionUpdatedFrame,
  SessionDeletedFrame,
  SessionStatusChangedFrame,
  ContainerHealthFrame,
  AgentStatusChangedFrame,
  LogsStreamFrame,
  AckFrame,
  NoticeFrame,
  ErrorFrame,
]);
export type ServerFrame = Static<typeof ServerFrame>;
export type ServerFrameType = ServerFrame['type'];
/** One server frame by its `type`, e.g. `ServerFrameOf<'notice'>`. */
export type ServerFrameOf<T extends ServerFrameType> = Extract<ServerFrame, { type: T }>;
