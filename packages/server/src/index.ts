export { buildServer, type ServerDeps } from './app.js';
export { runDaemon } from './daemon.js';
export { type BerthApi, createBerthMcpServer, type McpOptions } from './mcp/berth-mcp.js';
export { createMetrics, type Metrics } from './metrics.js';
export { problem, STATUS_BY_CODE, toProblem } from './problems.js';
export { closeUnixListener, listenOnUnixSocket } from './unix-listener.js';
