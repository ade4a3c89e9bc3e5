// What the integration tests of every package share. The core's fixtures (temp repos and homes,
// cleanup by label, the agent stand-in, SSH remotes, PostgreSQL databases, the error catalogue, a
// clock the test moves) are here; the server's, the CLI's, the real agents' and the scripted model
// APIs are subpaths (`@berth/testkit/server`, `/cli`, `/session-agents`, `/model-api/NAME`), so a
// core test loads no server code.
export * from './agent-fixtures.js';
export * from './clock.js';
export * from './errors.js';
export * from './fixtures.js';
export * from './postgres.js';
export * from './remote-fixtures.js';
