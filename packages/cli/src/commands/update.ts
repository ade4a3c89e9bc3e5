import { formatDuration, parseSize } from '@berth/core/config';
import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson } from '../output.js';
import { idleOptions } from './new.js';

export function register(program: Command): void {
  program
    .command('update')
    .description('change a session: its idle policy, limits or description')
    .argument('<name>', 'session name or id')
    .option('--idle-timeout <duration>', 'pause or stop after this long idle, e.g. 10m or 1h; 0 never')
    .option('--idle-action <action>', 'what an idle session gets: pause or stop')
    .option('--cpus <n>', 'CPU limit, e.g. 1.5 (applies to the running container)', Number)
    .option('--memory <size>', 'memory limit, e.g. 512m or 2g (applies to the running container)')
    .option('--description <text>', 'what the session is for')
    .option('--json', 'print the session as JSON')
    .action(
      action(async (name: string, o: Record<string, unknown>) => {
        const change = {
          ...idleOptions(o),
          ...(o.cpus !== undefined ? { cpus: o.cpus as number } : {}),
          ...(o.memory ? { memoryBytes: parseSize(String(o.memory)) } : {}),
          ...(o.description !== undefined ? { description: String(o.description) } : {}),
        };
        if (Object.keys(change).length === 0) {
          throw new CliError(
            'nothing to change: pass --idle-timeout, --idle-action, --cpus, --memory or --description',
            EXIT.usage,
          );
        }
        const s = await (await connect()).updateSession(name, change);
        if (o.json) printJson(sessionJson(s));
        else {
          const idle =
            s.idle.timeoutSeconds === 0
              ? 'never idles'
              : `${s.idle.action}s after ${formatDuration(s.idle.timeoutSeconds)} idle`;
          process.stdout.write(`${s.name} updated: ${idle}, ${s.limits.cpus} CPU\n`);
        }
        return EXIT.ok;
      }),
    );
}
