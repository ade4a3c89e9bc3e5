import type { Command } from 'commander';
import { action } from '../action.js';
import { connect } from '../daemon-client.js';
import { dim, printJson, table } from '../output.js';

const mib = (b: number) => `${(b / 1024 ** 2).toFixed(1)} MiB`;

export function register(program: Command): void {
  program
    .command('stats')
    .description('CPU, memory, network and process counts of running sessions')
    .argument('[name]', 'one session (default: every running one)')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string | undefined, o: { json?: boolean }) => {
        const client = await connect();
        const sessions = name
          ? [await client.getSession(name)]
          : (await client.listSessions()).filter((s) => s.status === 'running');
        const stats = await Promise.all(
          sessions.map(async (s) => ({ name: s.name, ...(await client.stats(s.name)), limits: s.limits })),
        );
        if (o.json) {
          printJson(name ? stats[0] : stats);
          return 0;
        }
        const rows = [['NAME', 'CPU', 'MEMORY', 'NET RX/TX', 'PIDS'].map(dim)];
        for (const s of stats) {
          rows.push([
            s.name,
            `${s.cpuPercent.toFixed(1)}% / ${s.limits.cpus} CPU`,
            `${mib(s.memoryBytes)} / ${mib(s.memoryLimitBytes)}`,
            `${mib(s.networkRxBytes)} / ${mib(s.networkTxBytes)}`,
            `${s.pids} / ${s.limits.pids}`,
          ]);
        }
        process.stdout.write(`${table(rows)}\n`);
        return 0;
      }),
    );
}
