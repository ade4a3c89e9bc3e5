import type { SessionStatus } from '../../api/types';
import type { SessionQuery, SortKey } from './session-query';

export type ViewMode = 'cards' | 'table';

const STATUSES: SessionStatus[] = [
  'running',
  'creating',
  'paused',
  'stopped',
  'failed',
  'finished',
  'cancelled',
];

const SORTS: Record<SortKey, string> = {
  newest: 'Newest first',
  oldest: 'Oldest first',
  activity: 'Last activity',
  name: 'Name',
  status: 'Status',
};

/** Search, status filter, sort order, and cards or table. */
export function SessionToolbar({
  query,
  onQuery,
  view,
  onView,
}: {
  query: SessionQuery;
  onQuery: (q: SessionQuery) => void;
  view: ViewMode;
  onView: (v: ViewMode) => void;
}) {
  return (
    <search className="toolbar">
      <label className="toolbar-field toolbar-search">
        <span className="field-label">Search</span>
        <input
          type="search"
          className="input"
          placeholder="Name or repository"
          value={query.search}
          onChange={(e) => onQuery({ ...query, search: e.target.value })}
        />
      </label>
      <label className="toolbar-field">
        <span className="field-label">Status</span>
        <select
          className="input"
          value={query.status}
          onChange={(e) => onQuery({ ...query, status: e.target.value as SessionQuery['status'] })}
        >
          <option value="all">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label className="toolbar-field">
        <span className="field-label">Sort</span>
        <select
          className="input"
          value={query.sort}
          onChange={(e) => onQuery({ ...query, sort: e.target.value as SortKey })}
        >
          {Object.entries(SORTS).map(([key, label]) => (
            <option key={key} value={key}>
              {label}
            </option>
          ))}
        </select>
      </label>
      <fieldset className="toolbar-field segmented">
        <legend className="field-label">View</legend>
        {(['cards', 'table'] as const).map((v) => (
          <button
            key={v}
            type="button"
            className="button button-small"
            aria-pressed={view === v}
            onClick={() => onView(v)}
          >
            {v === 'cards' ? 'Cards' : 'Table'}
          </button>
        ))}
      </fieldset>
    </search>
  );
}
