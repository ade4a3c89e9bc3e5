import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { dim, printJson, table } from '../output.js';
import { readSecret } from '../secret-input.js';

export function register(program: Command): void {
  const user = program.command('user').description('users of this berth server (admins only)');

  user
    .command('add')
    .description('add a user; the first admin is made this way on the server’s own machine')
    .argument('<username>', 'lowercase name')
    .option('--admin', 'make an admin (default: member)')
    .option('--password-stdin', 'read the password from stdin instead of asking')
    .option('--no-password', 'no password: the user signs in with tokens only')
    .option('--json', 'print JSON')
    .action(
      action(
        async (
          username: string,
          o: { admin?: boolean; passwordStdin?: boolean; password: boolean; json?: boolean },
        ) => {
          const password = o.password
            ? await readSecret('password for the new user: ', o.passwordStdin === true)
            : undefined;
          const u = await (await connect()).createUser({
            username,
            role: o.admin ? 'admin' : 'member',
            ...(password ? { password } : {}),
          });
          if (o.json) printJson(u);
          else process.stdout.write(`added ${u.role} ${u.username}\n`);
          return 0;
        },
      ),
    );

  user
    .command('ls')
    .description('list users')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const users = await (await connect()).listUsers();
        if (o.json) printJson(users);
        else
          process.stdout.write(
            `${table([['USERNAME', 'ROLE', 'CREATED'].map(dim), ...users.map((u) => [u.username, u.role, u.createdAt])])}\n`,
          );
        return 0;
      }),
    );
}
