import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson } from '../output.js';

/** The prompt from the argument, or `--file F` (`-`, or the argument `-`, reads stdin). */
function promptText(text: string | undefined, file: string | undefined): string {
  if (text !== undefined && file !== undefined) {
    throw new CliError(
      'give the prompt as TEXT or with --file, not both',
      EXIT.usage,
      'berth send NAME "next step"',
    );
  }
  const source = file ?? (text === '-' ? '-' : undefined);
  let prompt = text ?? '';
  if (source !== undefined) {
    try {
      prompt = readFileSync(source === '-' ? 0 : source, 'utf8');
    } catch (err) {
      throw new CliError(
        `cannot read ${source === '-' ? 'stdin' : source}: ${(err as Error).message}`,
        EXIT.usage,
      );
    }
  }
  if (prompt.trim() === '') {
    throw new CliError(
      'the prompt is empty',
      EXIT.usage,
      'give it as TEXT (`berth send NAME "next step"`), or with --file F (- for stdin)',
    );
  }
  return prompt;
}

export function register(program: Command): void {
  program
    .command('send')
    .description("type the next prompt into a running agent session's agent, as if at its terminal")
    .argument('<name>', 'session name or id')
    .argument('[text]', 'the prompt (`-` reads it from stdin)')
    .option('--file <file>', 'read the prompt from a file (- for stdin)')
    .option('--json', 'print the session as JSON')
    .action(
      action(async (name: string, text: string | undefined, o: { file?: string; json?: boolean }) => {
        const prompt = promptText(text, o.file);
        const s = await (await connect()).sendPrompt(name, prompt);
        if (o.json) printJson(sessionJson(s));
        else {
          process.stdout.write(
            `${s.name}: ${s.agentStatus ?? 'sent'}    \`berth wait ${s.name}\` waits until its turn is done\n`,
          );
        }
        return EXIT.ok;
      }),
    );
}
