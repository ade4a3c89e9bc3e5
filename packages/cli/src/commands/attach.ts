import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { runTerminal } from '../terminal-session.js';

export function register(program: Command): void {
  program
    .command('attach')
    .description(
      "attach to an agent session's own terminal; detach with C-b d or by closing it (the agent keeps running)",
    )
    .argument('<name>', 'session name or id')
    .action(
      action(async (name: string) => {
        const client = await connect();
        const ws = client.attach(name, {
          cols: process.stdout.columns || 80,
          rows: process.stdout.rows || 24,
        });
        const code = await runTerminal(ws);
        process.stderr.write(
          `\r\n[detached from ${name}: the agent keeps running; \`berth attach ${name}\` to return]\r\n`,
        );
        return code;
      }),
    );
}
