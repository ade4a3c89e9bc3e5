import { createBerthMcpServer } from '@berth/server';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
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
        const remote = process.env.BERTH_URL;
        const server = createBerthMcpServer(client, {
          previewHost: remote ? new URL(remote).hostname.replace(/^\[|\]$/g, '') : 'localhost',
          onUnexpectedError: (err) =>
            process.stderr.write(`berth mcp: ${err instanceof Error ? err.message : String(err)}\n`),
        });
        const transport = new StdioServerTransport();
        const closed = new Promise<void>((resolve) => {
          transport.onclose = () => resolve();
          // The client closing our stdin is the end of the conversation.
          process.stdin.once('end', () => void server.close());
          process.stdin.once('close', () => void server.close());
        });
        await server.connect(transport);
        await closed;
        return 0;
      }),
    );
}
