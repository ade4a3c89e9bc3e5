import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { printJson } from '../output.js';

export function register(program: Command): void {
  program
    .command('rm')
    .description('remove a session’s record (a live one only with --force, which discards its work)')
    .argument('<name>', 'session name or id')
    .option('-f, --force', 'cancel a live session first')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, o: { force?: boolean; json?: boolean }) => {
        await (await connect()).remove(name, o.force === true);
        if (o.json) printJson({ removed: name });
        else process.stdout.write(`${name} removed\n`);
        return 0;
      }),
    );
}
