import { ApiError, type EgressReport } from '@berth/api';
import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, dim, EXIT, green, inert, printJson, red, table } from '../output.js';

const MODE_MEANS: Record<string, string> = {
  allowlist: 'only the hosts on its allow-list',
  open: 'any public host',
  none: 'nothing outside itself',
};

/** `example.org:443`; the overflow line (port 0) is its name alone. */
const target = (d: { host: string; port: number }) =>
  d.port === 0
    ? inert(d.host)
    : inert(d.host.includes(':') ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`);

export function register(program: Command): void {
  program
    .command('egress')
    .description("what a session may reach outside itself, and what berth's egress proxy allowed and refused")
    .argument('<name>', 'session name or id')
    .option('--json', 'print {egress, decisions} as JSON')
    .action(
      action(async (name: string, o: { json?: boolean }) => {
        let report: EgressReport;
        try {
          report = await (await connect()).egress(name);
        } catch (err) {
          // A daemon started by an older berth answers this route with "no route".
          if (err instanceof ApiError && err.status === 404 && /^no route /.test(err.message)) {
            throw new CliError(
              'the berth server is older than this CLI and keeps no egress log',
              EXIT.failure,
              'update and restart it (a local daemon: `berth daemon stop`, the next command starts the new one), then run this again',
            );
          }
          throw err;
        }
        if (o.json) {
          printJson(report);
          return 0;
        }
        const { egress, decisions } = report;
        if (!egress) {
          process.stdout.write(
            `${name} is unfiltered: it was made before berth filtered egress (or with egress filtering off) ` +
              'and sits on the shared network, where it reaches whatever this machine reaches.\n' +
              `  ${dim('→')} to filter it, make a new session for the work (\`berth new NAME --repo PATH\`) ` +
              `and remove this one when done (\`berth rm ${name}\`)\n`,
          );
          return 0;
        }
        const rows = [
          [
            'egress',
            `${egress.mode}: ${MODE_MEANS[egress.mode] ?? egress.mode}, never this machine or its LAN`,
          ],
        ];
        if (egress.mode === 'allowlist') {
          rows.push(['allow-list', egress.allow.length > 0 ? inert(egress.allow.join(', ')) : '(empty)']);
        }
        process.stdout.write(`${table(rows)}\n\n`);
        if (decisions.length === 0) {
          process.stdout.write('no connections decided yet\n');
          return 0;
        }
        const lines = [['HOST:PORT', 'DECISION', 'REASON', 'COUNT', 'LAST SEEN'].map(dim)];
        for (const d of decisions) {
          lines.push([
            target(d),
            d.allowed ? green('allowed') : red('refused'),
            inert(d.reason),
            String(d.count),
            d.lastAt,
          ]);
        }
        process.stdout.write(`${table(lines)}\n`);
        return 0;
      }),
    );
}
