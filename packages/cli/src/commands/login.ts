import { hostname } from 'node:os';
import { BerthClient } from '@berth/api/node';
import type { Command } from 'commander';
import { action } from '../action.js';
import { saveLogin } from '../credentials-file.js';
import { printJson } from '../output.js';
import { readSecret } from '../secret-input.js';

export function register(program: Command): void {
  program
    .command('login')
    .description('sign in to a berth server over TCP and keep an API token for it')
    .requiredOption('--url <url>', 'server address, e.g. http://berth.example:8080')
    .requiredOption('-u, --username <name>', 'your username')
    .option('--password-stdin', 'read the password from stdin')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { url: string; username: string; passwordStdin?: boolean; json?: boolean }) => {
        const url = new URL(o.url).origin;
        const client = new BerthClient({ url });
        const password = await readSecret(`password for ${o.username} at ${url}: `, o.passwordStdin === true);
        const session = await client.login(o.username, password);
        const { token } = await client.createToken(`cli on ${hostname()}`, { as: session });
        await client.logout(session);
        const file = await saveLogin(url, { token, username: o.username });
        if (o.json) printJson({ url, username: o.username, credentials: file });
        else
          process.stdout.write(
            `signed in to ${url} as ${o.username}; token kept in ${file}\nuse it with BERTH_URL=${url}\n`,
          );
        return 0;
      }),
    );
}
