export { ApiError, BerthClient, type Endpoint, type SessionAction } from './client.js';
export * from './schemas.js';
export { API_PREFIX, BERTH_VERSION } from './version.js';
