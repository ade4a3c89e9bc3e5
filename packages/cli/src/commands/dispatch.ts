import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson } from '../output.js';
import { autonomyOption, collectEnv, egressOptions, readSshKey, withEgressOptions } from './new.js';

export function readPrompt(o: { prompt?: string; promptFile?: string }): string | undefined {
  if (o.prompt !== undefined && o.promptFile !== undefined) {
    throw new CliError('give --prompt or --prompt-file, not both', EXIT.usage);
  }
  if (o.promptFile === undefined) return o.prompt;
  try {
    return readFileSync(o.promptFile === '-' ? 0 : o.promptFile, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${o.promptFile}: ${(err as Error).message}`, EXIT.usage);
  }
}

/**
 * A remote URL (`scheme://…`, or git's `host:path` with the colon before any slash) goes to the
 * daemon as it is; anything else is a local path, made absolute here where it was meant.
 */
export function repoArgument(repo: string): string {
  const remote = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(repo) || /^[^/]+:/.test(repo);
  return remote ? repo : resolve(repo);
}

export function register(program: Command): void {
  withEgressOptions(program.command('dispatch'))
    .description('start an agent on a task in a new session with a made-up name, and print the name')
    .option('--prompt <text>', 'the task for the agent')
    .option('--prompt-file <file>', 'read the task from a file (- for stdin)')
    .option('--agent <profile>', 'agent profile (default: the config file’s defaultAgent, else claude)')
    .option(
      '--repo <path|url>',
      'git repository: a local path (default: the current directory) or a remote URL, as for `berth new`',
      '.',
    )
    .option('--branch <branch>', 'base branch (default: the repo’s current branch)')
    .option('--image <image>', 'session image (default: the profile’s, else the default image)')
    .option('--name <name>', 'a name instead of a made-up one')
    .option('--team <team>', 'share the session with a team you belong to')
    .option('--ssh-key <file>', 'private key for an ssh remote (`-` reads it from stdin); kept encrypted')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', collectEnv, {})
    .option('--autonomy <mode>', 'full (default: no permission prompts, the container is the sandbox) or ask')
    .option('--json', 'print the session as JSON')
    .action(
      action(async (opts: Record<string, unknown>) => {
        const { env, allow, ...rest } = opts;
        const o = rest as Record<string, string | undefined>;
        if (o.sshKey === '-' && o.promptFile === '-') {
          throw new CliError('--ssh-key - and --prompt-file - cannot both read stdin', EXIT.usage);
        }
        const prompt = readPrompt(o);
        if (!prompt)
          throw new CliError(
            'a task is required',
            EXIT.usage,
            'e.g. `berth dispatch --prompt "fix the login bug"`',
          );
        const autonomy = autonomyOption(o, true);
        const sshKey = o.sshKey ? await readSshKey(o.sshKey) : undefined;
        const client = await connect();
        const session = await client.createSession({
          repo: repoArgument(o.repo ?? '.'),
          prompt,
          ...(o.agent ? { agent: o.agent } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.branch ? { branch: o.branch } : {}),
          ...(o.image ? { image: o.image } : {}),
          ...(o.team ? { team: o.team } : {}),
          ...(sshKey !== undefined ? { sshKey } : {}),
          env: env as Record<string, string>,
          ...autonomy,
          ...egressOptions({ egress: o.egress, allow }),
        });
        if (o.json) printJson(sessionJson(session));
        else process.stdout.write(`${session.name}\n`);
        return EXIT.ok;
      }),
    );
}
