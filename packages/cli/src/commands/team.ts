import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { dim, printJson, table } from '../output.js';

export function register(program: Command): void {
  const team = program.command('team').description('teams share sessions among their members');

  team
    .command('create')
    .description('make a team (admins)')
    .argument('<name>', 'lowercase name')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, o: { json?: boolean }) => {
        const t = await (await connect()).createTeam(name);
        if (o.json) printJson(t);
        else process.stdout.write(`made team ${t.name}\n`);
        return 0;
      }),
    );

  team
    .command('ls')
    .description('your teams (all of them for admins)')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { json?: boolean }) => {
        const teams = await (await connect()).listTeams();
        if (o.json) printJson(teams);
        else
          process.stdout.write(
            `${table([['TEAM', 'MEMBERS'].map(dim), ...teams.map((t) => [t.name, t.members.join(', ')])])}\n`,
          );
        return 0;
      }),
    );

  for (const [verb, describe] of [
    ['add', 'add a user to a team (admins)'],
    ['remove', 'take a user out of a team (admins)'],
  ] as const) {
    team
      .command(verb)
      .description(describe)
      .argument('<team>', 'team name')
      .argument('<username>', 'user')
      .option('--json', 'print JSON')
      .action(
        action(async (name: string, username: string, o: { json?: boolean }) => {
          const client = await connect();
          const t =
            verb === 'add'
              ? await client.addTeamMember(name, username)
              : await client.removeTeamMember(name, username);
          if (o.json) printJson(t);
          else process.stdout.write(`${t.name}: ${t.members.join(', ') || 'no members'}\n`);
          return 0;
        }),
      );
  }
}
