import { type ReactNode, useState } from 'react';
import { ApiError } from '../../api/api-error';
import type { Session } from '../../api/types';
import { useDirectory } from '../../api/use-directory';
import { useLiveSession } from '../../api/use-live-session';
import { usePrincipal } from '../../app/auth-context';
import { Link, navigate } from '../../app/navigation';
import { paths } from '../../app/routes';
import { useDocumentTitle } from '../../app/use-document-title';
import { EmptyState } from '../../components/empty-state';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import { SessionActions } from '../../components/session-actions';
import { StatusBadge } from '../../components/status-badge';
import { panelId, type Tab, Tabs, tabId } from '../../components/tabs';
import { DiffPanel } from './diff-panel';
import { LogsPanel } from './logs-panel';
import { NetworkPanel } from './network-panel';
import { PreviewPanel } from './preview-panel';
import { SessionFacts } from './session-facts';
import { StatsPanel } from './stats-panel';
import { TerminalPanel } from './terminal-panel';
import './session.css';

type TabId = 'overview' | 'agent' | 'terminal' | 'logs' | 'diff';

const TABS: readonly Tab<TabId>[] = [
  { id: 'overview', label: 'Overview' },
  { id: 'agent', label: 'Agent' },
  { id: 'terminal', label: 'Terminal' },
  { id: 'logs', label: 'Logs' },
  { id: 'diff', label: 'Diff' },
];

/** The agent's terminal is a view only of sessions that run an agent. */
const tabsOf = (s: Session): readonly Tab<TabId>[] => (s.agent ? TABS : TABS.filter((t) => t.id !== 'agent'));

const tabFromHash = (tabs: readonly Tab<TabId>[]): TabId => {
  const h = location.hash.slice(1);
  return tabs.some((t) => t.id === h) ? (h as TabId) : 'overview';
};

/** One session: what it is, live stats, a shell, its logs and its changes, and every action. */
export function SessionPage({ name }: { name: string }) {
  useDocumentTitle(name);
  const { state, reload, replace } = useLiveSession(name);
  if (state.status === 'loading') return <Loading label={`Loading ${name}…`} />;
  if (state.status === 'error') {
    const missing = state.error instanceof ApiError && state.error.status === 404;
    return missing ? (
      <EmptyState title={`There is no session named ${name}.`}>
        <Link to={paths.dashboard}>Back to the sessions</Link>
      </EmptyState>
    ) : (
      <ProblemMessage title={`Could not load ${name}`} error={state.error} onRetry={reload} />
    );
  }
  return <SessionView session={state.session} deleted={state.deleted} onChanged={replace} />;
}

function SessionView({
  session,
  deleted,
  onChanged,
}: {
  session: Session;
  deleted: boolean;
  onChanged: (s: Session) => void;
}) {
  const directory = useDirectory(usePrincipal());
  const tabs = tabsOf(session);
  const [tab, setTab] = useState<TabId>(() => tabFromHash(tabs));
  const [visited, setVisited] = useState(() => new Set<TabId>([tab]));
  const select = (id: TabId) => {
    setTab(id);
    setVisited((v) => new Set(v).add(id));
    history.replaceState(null, '', `${location.pathname}${id === 'overview' ? '' : `#${id}`}`);
  };
  // A panel stays mounted once seen, so the shell and the log follow survive a look at another tab.
  const panel = (id: TabId, content: ReactNode) =>
    visited.has(id) && (
      <div role="tabpanel" id={panelId(id)} aria-labelledby={tabId(id)} hidden={tab !== id}>
        {content}
      </div>
    );

  return (
    <>
      <div className="page-head">
        <h1>{session.name}</h1>
        <StatusBadge status={session.status} />
      </div>
      {session.description && <p className="session-description">{session.description}</p>}
      {session.statusReason && <p className="session-reason">{session.statusReason}</p>}
      {deleted ? (
        <p className="notice" role="status">
          This session was deleted. <Link to={paths.dashboard}>Back to the sessions</Link>
        </p>
      ) : (
        <SessionActions session={session} onChanged={onChanged} onRemoved={() => navigate(paths.dashboard)} />
      )}
      <Tabs tabs={tabs} selected={tab} onSelect={select} label={`${session.name} views`} />
      {panel(
        'overview',
        <div className="overview">
          <StatsPanel session={session} visible={tab === 'overview'} />
          {!deleted && <PreviewPanel session={session} onChanged={onChanged} />}
          <NetworkPanel session={session} />
          <SessionFacts session={session} directory={directory} />
        </div>,
      )}
      {session.agent && panel('agent', <TerminalPanel session={session} target="agent" />)}
      {panel('terminal', <TerminalPanel session={session} />)}
      {panel('logs', <LogsPanel session={session} />)}
      {panel('diff', <DiffPanel session={session} />)}
    </>
  );
}
