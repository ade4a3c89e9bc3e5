// The browser-safe root: schemas, events, errors and the client over any transport. Nothing here
// (or below it) imports node:* or ws; barrel-clean.test.ts walks the graph to keep it so. The
// client over node:http and ws is `@berth/api/node`.
export * from './agent-prompts.js';
export * from './agent-status.js';
export * as AgentSchemas from './agents.js';
export { ApiError } from './api-error.js';
export * as AuthSchemas from './auth.js';
export {
  attachPath,
  BerthClient,
  eventsPath,
  type SessionAction,
  shellPath,
  type TerminalSize,
} from './client.js';
// Its DiffStat is the schema's, exported below with the schemas.
export { diffStat } from './diff-stat.js';
export * from './duration.js';
export * from './events.js';
export * as ResourceSchemas from './resources.js';
export * from './schemas.js';
export * from './session-verbs.js';
export * as TeamSchemas from './teams.js';
export type { HeaderValue, Transport, TransportRequest, TransportResponse } from './transport.js';
export { API_PREFIX, BERTH_VERSION } from './version.js';
