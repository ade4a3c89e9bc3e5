import { useNotifySetting } from '../../api/use-agent-notifications';
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

/**
 * Search, status filter, the agents waiting for their person (counted even while the filter is
 * off), sort order, cards or table, and the opt-in to be notified when an agent waits.
 */
export function SessionToolbar({
  query,
  onQuery,
  view,
  onView,
  needsMeCount,
  hasAgents,
}: {
  query: SessionQuery;
  onQuery: (q: SessionQuery) => void;
  view: ViewMode;
  onView: (v: ViewMode) => void;
  /** How many sessions' agents need input, of all the sessions (not only those shown). */
  needsMeCount: number;
  /** Whether any session runs an agent: the agents' filter and notifications show only then. */
  hasAgents: boolean;
}) {
  return (
    <search className="toolbar">
      <SearchField
        value={query.search}
        placeholder="Name, repository or task"
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
      {hasAgents && (
        <fieldset className="toolbar-field segmented">
          <legend className="field-label">Agents</legend>
          <button
            type="button"
            className={`button button-small needs-me-filter${needsMeCount > 0 ? ' needs-me-waiting' : ''}`}
            aria-pressed={query.needsMe === true}
            onClick={() => onQuery({ ...query, needsMe: !query.needsMe })}
          >
            Needs me <span className="needs-me-count">{needsMeCount}</span>
          </button>
        </fieldset>
      )}
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
      {hasAgents && <NotifyToggle />}
    </search>
  );
}

function NotifyToggle() {
  const notify = useNotifySetting();
  if (!notify.supported) return null;
  return (
    <div className="toolbar-field notify-toggle">
      <label className="check">
        <input
          type="checkbox"
          checked={notify.enabled}
          onChange={(e) => void notify.setEnabled(e.target.checked)}
        />{' '}
        Notify me when an agent needs me
      </label>
      {notify.blocked && (
        <span className="muted notify-blocked">
          Notifications are blocked in this browser’s site settings.
        </span>
      )}
    </div>
  );
}
