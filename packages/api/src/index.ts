export * from './agent-prompts.js';
export * as AgentSchemas from './agents.js';
export { ApiError } from './api-error.js';
export * as AuthSchemas from './auth.js';
export {
  BerthClient,
  type Dispatch,
  type DispatchRequest,
  type DispatchResponse,
  type Endpoint,
  type SessionAction,
} from './client.js';
export * from './events.js';
export * as ResourceSchemas from './resources.js';
export * from './schemas.js';
export * as TeamSchemas from './teams.js';
export { API_PREFIX, BERTH_VERSION } from './version.js';
