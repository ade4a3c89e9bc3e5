/**
 * What berth's MCP tools say about a session, shared by every group of tools: the `name`
 * argument they take, the summary a tool answers with (never the session's env, which may carry
 * secrets, nor host paths) and the fuller detail session_get gives.
 */
import type { Session } from '@berth/api';
import { z } from 'zod';

export const sessionName = z
  .string()
  .min(1)
  .max(128)
  .describe('The session’s name (or id), as session_list shows it');

/** What a tool tells about a session: never its env (it may carry secrets) nor host paths. */
export function sessionSummary(s: Session) {
  return {
    name: s.name,
    id: s.id,
    status: s.status,
    statusReason: s.statusReason,
    description: s.description,
    kind: s.kind,
    agent: s.agent,
    task: s.task,
    agentStatus: s.agentStatus,
    agentStatusSince: s.agentStatusSince,
    agentExitCode: s.agentExitCode,
    repo: s.repo,
    branch: s.branch,
    baseBranch: s.baseBranch,
    baseCommit: s.baseCommit,
    image: s.image,
    preview: s.preview,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

export function sessionDetail(s: Session) {
  return {
    ...sessionSummary(s),
    remote: s.remote,
    runtime: s.runtime,
    limits: s.limits,
    idle: s.idle,
    lastActivityAt: s.lastActivityAt,
    gitUser: s.gitUser,
    hasContainer: s.containerId !== null,
  };
}
