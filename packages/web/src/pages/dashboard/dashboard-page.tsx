import { useMemo, useState } from 'react';
import { useDirectory } from '../../api/use-directory';
import { useSessionList } from '../../api/use-session-list';
import { usePrincipal } from '../../app/auth-context';
import { Link } from '../../app/navigation';
import { paths } from '../../app/routes';
import { useDocumentTitle } from '../../app/use-document-title';
import { EmptyState } from '../../components/empty-state';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import { SessionCards } from './session-cards';
import { DEFAULT_QUERY, needsMe, querySessions } from './session-query';
import { SessionTable } from './session-table';
import { SessionToolbar } from './session-toolbar';
import { useNow } from './use-now';
import { useViewMode } from './use-view-mode';
import './dashboard.css';

/** Every session the user may see, live: search, filter, sort, act. */
export function DashboardPage() {
  useDocumentTitle('Sessions');
  const { state, reload, replace, removed } = useSessionList();
  const directory = useDirectory(usePrincipal());
  const [query, setQuery] = useState(DEFAULT_QUERY);
  const [view, setView] = useViewMode();
  const now = useNow();
  const all = state.status === 'ready' ? state.sessions : null;
  const shown = useMemo(() => (all ? querySessions(all, query) : []), [all, query]);
  const needsMeCount = useMemo(() => all?.filter(needsMe).length ?? 0, [all]);
  const hasAgents = useMemo(() => all?.some((s) => s.kind === 'agent') ?? false, [all]);

  return (
    <>
      <div className="page-head">
        <h1>Sessions</h1>
        {all && all.length > 0 && (
          <span className="count">
            {shown.length === all.length ? `${all.length}` : `${shown.length} of ${all.length}`}
          </span>
        )}
        <Link to={paths.create} className="button button-primary page-head-action">
          New session
        </Link>
      </div>
      {state.status === 'loading' && <Loading label="Loading sessions…" />}
      {state.status === 'error' && (
        <ProblemMessage title="Could not load the sessions" error={state.error} onRetry={reload} />
      )}
      {all && all.length === 0 && (
        <EmptyState title="No sessions yet">
          <p>
            A session is a branch of your repository with its own container. Start one with{' '}
            <Link to={paths.create}>New session</Link>, or from a terminal:
          </p>
          <pre className="command">berth new NAME --repo /path/to/repo</pre>
        </EmptyState>
      )}
      {all && all.length > 0 && (
        <>
          <SessionToolbar
            query={query}
            onQuery={setQuery}
            view={view}
            onView={setView}
            needsMeCount={needsMeCount}
            hasAgents={hasAgents}
          />
          {shown.length === 0 ? (
            <EmptyState title={query.needsMe ? 'No agent needs you' : 'No sessions match'}>
              <button type="button" className="button" onClick={() => setQuery(DEFAULT_QUERY)}>
                Clear search and filters
              </button>
            </EmptyState>
          ) : view === 'cards' ? (
            <SessionCards
              sessions={shown}
              directory={directory}
              now={now}
              onChanged={replace}
              onRemoved={removed}
            />
          ) : (
            <SessionTable
              sessions={shown}
              directory={directory}
              now={now}
              onChanged={replace}
              onRemoved={removed}
            />
          )}
        </>
      )}
    </>
  );
}
