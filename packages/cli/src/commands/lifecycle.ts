import type { SessionAction } from '@berth/api';
import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { printJson } from '../output.js';

/** The one-verb state changes share a shape, so they share a file: one table, one loop. */
const VERBS: Array<{ verb: SessionAction; describe: string; done: string }> = [
  { verb: 'pause', describe: 'freeze every process of a session (frees a running slot)', done: 'paused' },
  { verb: 'resume', describe: 'unfreeze a paused session', done: 'resumed' },
  { verb: 'stop', describe: 'stop a session’s container (its work stays)', done: 'stopped' },
  { verb: 'start', describe: 'start a stopped session again', done: 'started' },
  { verb: 'restart', describe: 'restart a session’s container', done: 'restarted' },
  { verb: 'cancel', describe: 'discard a session: container, working copy and branch', done: 'cancelled' },
];

export function register(program: Command): void {
  for (const { verb, describe, done } of VERBS) {
    program
      .command(verb)
      .description(describe)
      .argument('<name>', 'session name or id')
      .option('--json', 'print the session as JSON')
      .action(
        action(async (name: string, o: { json?: boolean }) => {
          const s = await (await connect()).act(name, verb);
          if (o.json) printJson(sessionJson(s));
          else process.stdout.write(`${s.name} ${done} (now ${s.status})\n`);
          return 0;
        }),
      );
  }
}
