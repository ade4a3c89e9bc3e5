import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { inert, printJson } from '../output.js';

export function register(program: Command): void {
  program
    .command('finish')
    .description('commit all of a session’s work onto berth/NAME, then remove its container and working copy')
    .argument('<name>', 'session name or id')
    .requiredOption('-m, --message <msg>', 'commit message')
    .option('--push', 'push berth/NAME (and the merged base) to the session’s remote')
    .option(
      '--merge',
      'merge berth/NAME into the base branch (not while it is checked out; a remote needs --push)',
    )
    .option('--json', 'print the session as JSON')
    .action(
      action(
        async (name: string, o: { message: string; json?: boolean; push?: boolean; merge?: boolean }) => {
          const s = await (await connect()).finish(name, o.message, {
            ...(o.push ? { push: true } : {}),
            ...(o.merge ? { merge: true } : {}),
          });
          if (o.json) printJson(sessionJson(s));
          else
            process.stdout.write(
              `${s.name} finished: ${inert(s.statusReason ?? '')}; the work is on branch ${s.branch}\n`,
            );
          return 0;
        },
      ),
    );
}
