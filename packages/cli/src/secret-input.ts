import { createInterface } from 'node:readline';
import { CliError, EXIT } from './output.js';

/** A password from stdin (first line) or typed at a prompt without echo. */
export async function readSecret(prompt: string, fromStdin: boolean): Promise<string> {
  if (fromStdin || !process.stdin.isTTY) {
    const parts: Buffer[] = [];
    for await (const c of process.stdin) parts.push(c as Buffer);
    const value = Buffer.concat(parts).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (!value)
      throw new CliError(
        'no password on stdin',
        EXIT.usage,
        'pipe it in: `echo "$PW" | berth … --password-stdin`',
      );
    return value;
  }
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: true });
  // Echo nothing while the password is typed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = () => {};
  const value = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return value;
}
