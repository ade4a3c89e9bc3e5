export { buildServer, type ServerDeps } from './app.js';
export { pidFile, runDaemon } from './daemon.js';
export { problem, STATUS_BY_CODE, toProblem } from './problems.js';
