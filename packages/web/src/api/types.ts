// Types only: the schemas stay on the server side of the wire, so nothing of Node is bundled.

import type { AgentList } from '@berth/api/agents';
import type { Me, User as UserSchema } from '@berth/api/auth';
import type {
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
} from '@berth/api/schemas';
import type { Team as TeamSchema } from '@berth/api/teams';
import type { API_PREFIX } from '@berth/api/version';
import type { Static } from 'typebox';

export type { ClientMessage, ServerFrame, ServerFrameOf } from '@berth/api/events';
export type {
  AgentList,
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
export type User = Static<typeof UserSchema>;
export type Principal = Static<typeof Me>;
export type Team = Static<typeof TeamSchema>;

/** The actions that take no body: `POST /api/v1/sessions/:name/<action>`. */
export type SessionAction = 'pause' | 'resume' | 'stop' | 'start' | 'restart' | 'cancel';

/** The compiler checks this copy against the api package's constant. */
export const API: typeof API_PREFIX = '/api/v1';
