import type { Session, SessionStatus } from '../../api/types';
import { lastActivityOf } from '../../format/age';

export type SortKey = 'newest' | 'oldest' | 'name' | 'status' | 'activity';

export interface SessionQuery {
  search: string;
  status: SessionStatus | 'all';
  sort: SortKey;
}

export const DEFAULT_QUERY: SessionQuery = { search: '', status: 'all', sort: 'newest' };

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

/** The sessions to show: matching the search (name or repository), of the status, in order. */
export function querySessions(sessions: readonly Session[], q: SessionQuery): Session[] {
  const needle = q.search.trim().toLowerCase();
  return sessions
    .filter((s) => q.status === 'all' || s.status === q.status)
    .filter(
      (s) =>
        !needle ||
        s.name.toLowerCase().includes(needle) ||
        s.repo.toLowerCase().includes(needle) ||
        (s.remote?.toLowerCase().includes(needle) ?? false),
    )
    .sort(COMPARE[q.sort]);
}
