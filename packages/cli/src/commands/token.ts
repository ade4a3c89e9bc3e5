import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { dim, printJson, table } from '../output.js';

export function register(program: Command): void {
  const token = program.command('token').description('API tokens for the CLI and other clients');

  token
    .command('create')
    .description('create a token; it is shown once')
    .argument('<name>', 'what it is for, e.g. laptop')
    .option('--user <username>', 'for another user (admins, or on the server’s own machine)')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, o: { user?: string; json?: boolean }) => {
        const r = await (await connect()).createToken(name, o.user ? { username: o.user } : {});
        if (o.json) printJson(r);
        else
          process.stdout.write(
            `${r.token}\n${dim('shown once: store it now (BERTH_TOKEN, or `berth login`)')}\n`,
          );
        return 0;
      }),
    );

  token
    .command('ls')
    .description('list tokens (never their values)')
    .option('--user <username>', 'another user’s tokens')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { user?: string; json?: boolean }) => {
        const tokens = await (await connect()).listTokens(o.user);
        if (o.json) printJson(tokens);
        else {
          const rows = tokens.map((t) => [
            t.id,
            t.name,
            t.createdAt,
            t.lastUsedAt ?? '-',
            t.revokedAt ? 'revoked' : 'active',
          ]);
          process.stdout.write(
            `${table([['ID', 'NAME', 'CREATED', 'LAST USED', 'STATE'].map(dim), ...rows])}\n`,
          );
        }
        return 0;
      }),
    );

  token
    .command('revoke')
    .description('revoke a token: it stops working at once, open connections included')
    .argument('<id>', 'token id (from `berth token ls`)')
    .option('--json', 'print JSON')
    .action(
      action(async (id: string, o: { json?: boolean }) => {
        await (await connect()).revokeToken(id);
        if (o.json) printJson({ revoked: id });
        else process.stdout.write(`revoked ${id}\n`);
        return 0;
      }),
    );
}
