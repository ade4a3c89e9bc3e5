import type { SessionStatus } from '../api/types';

/** A session's status: a colour for a glance, and the word itself for everyone else. */
export function StatusBadge({ status }: { status: SessionStatus }) {
  return (
    <span className={`status status-${status}`}>
      <span className="status-dot" aria-hidden="true" />
      {status}
    </span>
  );
}
