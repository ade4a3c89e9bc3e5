import type { Session } from '@berth/api';
import { reportError } from './output.js';

/** Wraps a command body: errors become one message, a hint and a reliable exit code. */
export function action<A extends unknown[]>(body: (...args: A) => Promise<number | undefined>) {
  return async (...args: A): Promise<void> => {
    const opts = args.find((a) => a && typeof a === 'object' && !Array.isArray(a)) as
      | { json?: boolean }
      | undefined;
    try {
      process.exitCode = (await body(...args)) ?? 0;
    } catch (err) {
      process.exitCode = reportError(err, opts?.json === true);
    }
  };
}

/** The fields `--json` promises for a session (README: CLI reference). */
export function sessionJson(s: Session) {
  return {
    id: s.id,
    name: s.name,
    status: s.status,
    statusReason: s.statusReason,
    branch: s.branch,
    baseBranch: s.baseBranch,
    baseCommit: s.baseCommit,
    repo: s.repo,
    remote: s.remote,
    image: s.image,
    containerId: s.containerId,
    preview: s.preview,
    agent: s.agent,
    task: s.task,
    agentStatus: s.agentStatus,
    agentStatusSince: s.agentStatusSince,
    agentExitCode: s.agentExitCode,
    agentStatusSource: s.agentStatusSource,
    limits: s.limits,
    kind: s.kind,
    runtime: s.runtime,
    idle: s.idle,
    lastActivityAt: s.lastActivityAt,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}
