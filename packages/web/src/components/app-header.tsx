import { useConnectionState } from '../api/events-context';
import { useAuth } from '../app/auth-context';
import { Link, navigate, useRoute } from '../app/navigation';
import { paths } from '../app/routes';

const CONNECTION_LABEL = {
  open: 'Live',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  closed: 'Offline',
} as const;

/** Brand, the two places to go, whether updates are live, and who is signed in. */
export function AppHeader() {
  const { state, signOut } = useAuth();
  const connection = useConnectionState();
  const page = useRoute().page;
  const who = state.status === 'signed-in' ? (state.principal.user?.username ?? 'host owner') : null;
  const out = async () => {
    await signOut();
    navigate(paths.login(), { replace: true });
  };
  return (
    <header className="app-header">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <Link to={paths.dashboard} className="brand">
        berth
      </Link>
      <nav aria-label="Main" className="app-nav">
        <Link to={paths.dashboard} aria-current={page === 'dashboard' ? 'page' : undefined}>
          Sessions
        </Link>
        <Link to={paths.create} aria-current={page === 'create' ? 'page' : undefined}>
          New session
        </Link>
      </nav>
      <span className={`connection connection-${connection}`} title="Live updates from the server">
        <span className="status-dot" aria-hidden="true" />
        {CONNECTION_LABEL[connection]}
      </span>
      {who && (
        <span className="app-user">
          <span className="app-user-name">{who}</span>
          <button type="button" className="button button-small" onClick={() => void out()}>
            Sign out
          </button>
        </span>
      )}
    </header>
  );
}
