import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';

/**
 * `berth mcp`: berth's MCP tools on stdin/stdout for an MCP client that starts it. stdout carries
 * MCP messages and nothing else: the daemon's start-up notice and any error go to stderr.
 */
export function register(program: Command): void {
  program
    .command('mcp')
    .description('serve berth’s MCP tools over stdio (add `berth mcp` as a command to an MCP client)')
    .action(
      action(async () => {
        const client = await connect();
        // Loaded here, not at the top: every other command starts without the server and the SDK.
        const { createBerthMcpServer } = await import('@berth/server');
        const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
        const remote = process.env.BERTH_URL;
        const server = createBerthMcpServer(client, {
          previewHost: remote ? new URL(remote).hostname.replace(/^\[|\]$/g, '') : 'localhost',
          onUnexpectedError: (err) =>
            process.stderr.write(`berth mcp: ${err instanceof Error ? err.message : String(err)}\n`),
        });
        const transport = new StdioServerTransport();
        const closed = new Promise<void>((resolve) => {
          transport.onclose = () => resolve();
        });
        await server.connect(transport);
        // The client closing our stdin ends the conversation: answer what was asked, then go.
        const inFlight = new Set<string | number>();
        let ending = false;
        const closeWhenIdle = () => {
          if (ending && inFlight.size === 0) void server.close();
        };
        const receive = transport.onmessage;
        transport.onmessage = (message) => {
          if ('method' in message && 'id' in message) inFlight.add(message.id);
          receive?.(message);
        };
        const send = transport.send.bind(transport);
        transport.send = async (message) => {
          await send(message);
          if (!('method' in message) && 'id' in message && message.id !== undefined) {
            inFlight.delete(message.id);
            closeWhenIdle();
          }
        };
        const onEnd = () => {
          ending = true;
          closeWhenIdle();
        };
        process.stdin.once('end', onEnd);
        process.stdin.once('close', onEnd);
        await closed;
        return 0;
      }),
    );
}
