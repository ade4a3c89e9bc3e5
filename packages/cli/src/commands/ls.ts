import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { agentCell, dim, inert, printJson, STATUS_COLOR, table } from '../output.js';

const LIVE = new Set(['creating', 'running', 'paused', 'stopped']);

function age(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

export function register(program: Command): void {
  program
    .command('ls')
    .description('list sessions (live ones; --all for finished, cancelled and failed too)')
    .option('-a, --all', 'include finished, cancelled and failed sessions')
    .option('--json', 'print JSON')
    .action(
      action(async (o: { all?: boolean; json?: boolean }) => {
        const client = await connect();
        const sessions = (await client.listSessions()).filter((s) => o.all || LIVE.has(s.status));
        if (o.json) {
          printJson(sessions.map(sessionJson));
          return 0;
        }
        if (sessions.length === 0) {
          process.stdout.write(
            `no sessions${o.all ? '' : ' running'}; make one with \`berth new NAME --repo PATH\`\n`,
          );
          return 0;
        }
        const rows = [['NAME', 'STATUS', 'AGENT', 'BRANCH', 'AGE', 'REPO'].map(dim)];
        for (const s of sessions) {
          rows.push([
            s.name,
            (STATUS_COLOR[s.status] ?? String)(s.status),
            agentCell(s),
            s.branch,
            age(s.createdAt),
            inert(s.remote ?? s.repo),
          ]);
        }
        process.stdout.write(`${table(rows)}\n`);
        return 0;
      }),
    );
}
