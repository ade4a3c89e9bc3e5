// Types only: the schemas' values stay on the server side of the wire.

import type {
  AgentSchemas,
  API_PREFIX,
  AuthSchemas,
  CreateProgressLine,
  CreateSessionRequest,
  Diff,
  EgressReport,
  PreviewTicket,
  Problem,
  ServerConfig,
  Session,
  SessionStatus as SessionStatusSchema,
  Stats,
  TeamSchemas,
} from '@berth/api';
import type { Static } from 'typebox';

export type { ClientMessage, ServerFrame, ServerFrameOf } from '@berth/api';
export type AgentList = AgentSchemas.AgentList;
export type {
  CreateProgressLine,
  CreateSessionRequest,
  Diff,
  EgressReport,
  PreviewTicket,
  Problem,
  ServerConfig,
  Session,
  Stats,
};

export type SessionStatus = Static<typeof SessionStatusSchema>;
export type User = Static<typeof AuthSchemas.User>;
export type Principal = Static<typeof AuthSchemas.Me>;
export type Team = Static<typeof TeamSchemas.Team>;

/** The actions that take no body: `POST /api/v1/sessions/:name/<action>`. */
export type { SessionAction } from '@berth/api';

/** The compiler checks this copy against the api package's constant. */
export const API: typeof API_PREFIX = '/api/v1';
