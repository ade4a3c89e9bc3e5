import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson } from '../output.js';

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

export function register(program: Command): void {
  program
    .command('dispatch')
    .description('start an agent on a task in a new session with a made-up name, and print the name')
    .option('--prompt <text>', 'the task for the agent')
    .option('--prompt-file <file>', 'read the task from a file (- for stdin)')
    .option('--agent <profile>', 'agent profile (default: the config file’s defaultAgent, else claude)')
    .option('--repo <path>', 'git repository (default: the current directory)', '.')
    .option('--branch <branch>', 'base branch (default: the repo’s current branch)')
    .option('--image <image>', 'session image (default: the profile’s, else the default image)')
    .option('--name <name>', 'a name instead of a made-up one')
    .option('--team <team>', 'share the session with a team you belong to')
    .option('--json', 'print the session as JSON')
    .action(
      action(async (o: Record<string, string | undefined>) => {
        const prompt = readPrompt(o);
        if (!prompt)
          throw new CliError(
            'a task is required',
            EXIT.usage,
            'e.g. `berth dispatch --prompt "fix the login bug"`',
          );
        const client = await connect();
        const session = await client.createSession({
          repo: resolve(o.repo ?? '.'),
          prompt,
          ...(o.agent ? { agent: o.agent } : {}),
          ...(o.name ? { name: o.name } : {}),
          ...(o.branch ? { branch: o.branch } : {}),
          ...(o.image ? { image: o.image } : {}),
          ...(o.team ? { team: o.team } : {}),
        });
        if (o.json) printJson(sessionJson(session));
        else process.stdout.write(`${session.name}\n`);
        return EXIT.ok;
      }),
    );
}
