import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT } from '../output.js';

export function register(program: Command): void {
  program
    .command('logs')
    .description('print a session’s container output')
    .argument('<name>', 'session name or id')
    .option('-f, --follow', 'keep printing new output')
    .option('-n, --tail <lines>', 'only the last N lines', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0)
        throw new CliError(`--tail ${v}: expected a whole number`, EXIT.usage);
      return n;
    })
    .action(
      action(async (name: string, o: { follow?: boolean; tail?: number }) => {
        const stream = await (await connect()).logs(name, {
          follow: o.follow === true,
          ...(o.tail !== undefined ? { tail: o.tail } : {}),
        });
        for await (const chunk of stream) process.stdout.write(chunk as Buffer);
        return 0;
      }),
    );
}
