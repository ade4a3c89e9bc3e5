import type { Session, SessionStatus } from '../../api/types';
import { lastActivityOf } from '../../format/age';

export type SortKey = 'newest' | 'oldest' | 'name' | 'status' | 'activity';

export interface SessionQuery {
  search: string;
  status: SessionStatus | 'all';
  sort: SortKey;
  /** Only the sessions whose agent waits for a person. */
  needsMe?: boolean;
}

export const DEFAULT_QUERY: SessionQuery = { search: '', status: 'all', sort: 'newest', needsMe: false };

/** An agent waiting for its person: a permission question, or a question to the user. */
export function needsMe(s: Session): boolean {
  return s.agentStatus === 'needs-input';
}

/** Live sessions first when sorting by status: what needs attention before what is done. */
export const STATUS_ORDER: readonly SessionStatus[] = [
  'running',
  'creating',
  'paused',
  'stopped',
  'failed',
  'finished',
  'cancelled',
];

const COMPARE: Record<SortKey, (a: Session, b: Session) => number> = {
  newest: (a, b) => b.createdAt.localeCompare(a.createdAt),
  oldest: (a, b) => a.createdAt.localeCompare(b.createdAt),
  name: (a, b) => a.name.localeCompare(b.name),
  status: (a, b) =>
    STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) || a.name.localeCompare(b.name),
  activity: (a, b) => lastActivityOf(b).localeCompare(lastActivityOf(a)),
};

/**
 * The sessions to show: matching the search (name, repository or task), of the status, waiting
 * for their person when asked, in order.
 */
export function querySessions(sessions: readonly Session[], q: SessionQuery): Session[] {
  const needle = q.search.trim().toLowerCase();
  return sessions
    .filter((s) => q.status === 'all' || s.status === q.status)
    .filter((s) => !q.needsMe || needsMe(s))
    .filter(
      (s) =>
        !needle ||
        s.name.toLowerCase().includes(needle) ||
        s.repo.toLowerCase().includes(needle) ||
        (s.remote?.toLowerCase().includes(needle) ?? false) ||
        (s.task?.toLowerCase().includes(needle) ?? false),
    )
    .sort(COMPARE[q.sort]);
}
