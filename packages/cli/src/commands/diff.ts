import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  program
    .command('diff')
    .description('the session branch against its base, uncommitted work included')
    .argument('<name>', 'session name or id')
    .option('--json', 'print {base, head, diff} as JSON')
    .action(
      action(async (name: string, o: { json?: boolean }) => {
        const d = await (await connect()).diff(name);
        if (o.json) printJson(d);
        else process.stdout.write(d.diff);
        return 0;
      }),
    );
}
