import { ChoiceField, SearchField } from '../../components/toolbar-fields';
import { type SessionQuery, type SortKey, STATUS_ORDER } from './session-query';

export type ViewMode = 'cards' | 'table';

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
      <SearchField
        value={query.search}
        placeholder="Name or repository"
        onChange={(search) => onQuery({ ...query, search })}
      />
      <ChoiceField
        label="Status"
        value={query.status}
        options={
          [['all', 'All'], ...STATUS_ORDER.map((st) => [st, st] as const)] as ReadonlyArray<
            readonly [SessionQuery['status'], string]
          >
        }
        onChange={(status) => onQuery({ ...query, status })}
      />
      <ChoiceField
        label="Sort"
        value={query.sort}
        options={Object.entries(SORTS) as Array<[SortKey, string]>}
        onChange={(sort) => onQuery({ ...query, sort })}
      />
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
