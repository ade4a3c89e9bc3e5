import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { runTerminal } from '../terminal-session.js';

export function register(program: Command): void {
  program
    .command('shell')
    .description('an interactive shell in a session’s /workspace (TTY; resizes with your terminal)')
    .argument('<name>', 'session name or id')
    .action(
      action(async (name: string) => {
        const client = await connect();
        const ws = client.shell(name, {
          cols: process.stdout.columns || 80,
          rows: process.stdout.rows || 24,
        });
        return await runTerminal(ws);
      }),
    );
}
