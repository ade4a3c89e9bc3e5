import type { Session } from '@berth/api';
import { formatDuration } from '@berth/core/config';
import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { agentCell, inert, printJson, STATUS_COLOR, table } from '../output.js';

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(b % 1024 ** 3 === 0 ? 0 : 2)} GiB`;

/** What an agent session's agent is on and doing: task, status (and since when), exit code. */
function agentRows(s: Session): string[][] {
  const rows = [['task', inert(s.task ?? '-')]];
  const guess = s.agentStatusSource === 'guess' ? ', a guess from its terminal' : '';
  rows.push([
    'agent',
    `${agentCell(s)}${s.agentStatusSince ? ` (since ${s.agentStatusSince}${guess})` : ''}`,
  ]);
  if (s.agentStatus === 'exited')
    rows.push(['exit code', s.agentExitCode === null ? '-' : String(s.agentExitCode)]);
  return rows;
}

export function register(program: Command): void {
  program
    .command('show')
    .description('show one session')
    .argument('<name>', 'session name or id')
    .option('--json', 'print JSON')
    .action(
      action(async (name: string, o: { json?: boolean }) => {
        const s = await (await connect()).getSession(name);
        if (o.json) {
          printJson(sessionJson(s));
          return 0;
        }
        const status =
          (STATUS_COLOR[s.status] ?? String)(s.status) +
          (s.statusReason ? ` (${inert(s.statusReason)})` : '');
        const rows = [
          ['name', s.name],
          ['id', s.id],
          ['status', status],
          ['branch', `${s.branch} (from ${s.baseBranch} @ ${s.baseCommit.slice(0, 12)})`],
          ['repo', inert(s.remote ? `${s.remote} (cache ${s.repo})` : s.repo)],
          [
            'git user',
            inert(`${s.gitUser.name} <${s.gitUser.email}>${s.hasSshKey ? ', with an SSH key' : ''}`),
          ],
          ['image', inert(s.image)],
          ['container', s.containerId?.slice(0, 12) ?? '-'],
          ['kind', s.kind],
          ...(s.agent ? agentRows(s) : []),
          ['limits', `${s.limits.cpus} CPU, ${gib(s.limits.memoryBytes)}, ${s.limits.pids} pids`],
          ['runtime', s.runtime === 'gvisor' ? 'gvisor (runsc)' : s.runtime],
          [
            'idle',
            s.idle.timeoutSeconds === 0
              ? 'never idles'
              : `${s.idle.action === 'pause' ? 'paused' : 'stopped'} after ${formatDuration(s.idle.timeoutSeconds)} without activity`,
          ],
          ['last activity', s.lastActivityAt],
          ['created', s.createdAt],
        ];
        process.stdout.write(`${table(rows)}\n`);
        return 0;
      }),
    );
}
