import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson } from '../output.js';

async function readStdin(): Promise<Buffer | undefined> {
  if (process.stdin.isTTY) return undefined;
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return parts.length ? Buffer.concat(parts) : undefined;
}

export function register(program: Command): void {
  program
    .command('exec')
    .description("run a command in a session's /workspace; exits with the command's exit code")
    .argument('<name>', 'session name or id')
    .argument('<cmd...>', 'command and arguments (put them after --)')
    .option('-i, --stdin', 'pass this process’s stdin to the command')
    .option('--json', 'print {exitCode, stdout, stderr, truncated} as JSON')
    .action(
      action(async (name: string, cmd: string[], o: { stdin?: boolean; json?: boolean }) => {
        if (cmd.length === 0)
          throw new CliError('a command is required', EXIT.usage, 'berth exec NAME -- ls -la');
        const client = await connect();
        const stdin = o.stdin ? await readStdin() : undefined;
        const r = await client.exec(name, cmd, stdin);
        if (o.json) {
          printJson({
            exitCode: r.exitCode,
            stdout: r.stdout.toString('utf8'),
            stderr: r.stderr.toString('utf8'),
            truncated: r.truncated,
          });
        } else {
          process.stdout.write(r.stdout);
          process.stderr.write(r.stderr);
          if (r.truncated) {
            process.stderr.write(
              `berth: the output passed the daemon's limit, so the command was ended and this is its start; ` +
                `write it to a file in the session and read parts of it (\`berth exec ${name} -- sh -c 'CMD > out.txt'\`)\n`,
            );
          }
        }
        return r.exitCode;
      }),
    );
}
