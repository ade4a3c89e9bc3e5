import { lazy, Suspense, useMemo } from 'react';
import { ApiProvider } from '../api/api-context';
import type { ApiClient } from '../api/client';
import { eventsPath, webSocketUrl } from '../api/client';
import { EventStream } from '../api/event-stream';
import { EventsProvider } from '../api/events-context';
import { AgentNotifications } from '../api/use-agent-notifications';
import { AppHeader } from '../components/app-header';
import { ErrorBoundary } from '../components/error-boundary';
import { Loading } from '../components/loading';
import { ProblemMessage } from '../components/problem-message';
import { DashboardPage } from '../pages/dashboard/dashboard-page';
import { NotFoundPage } from '../pages/not-found-page';
import { AuthProvider, useAuth } from './auth-context';
import { useLocation, useRoute } from './navigation';
import { Redirect } from './redirect';
import { paths, type Route } from './routes';

// The dashboard is the first page most loads show: the others load apart, so it starts sooner.
const CreatePage = lazy(() => import('../pages/create/create-page').then((m) => ({ default: m.CreatePage })));
const LoginPage = lazy(() => import('../pages/login/login-page').then((m) => ({ default: m.LoginPage })));
const SessionPage = lazy(() =>
  import('../pages/session/session-page').then((m) => ({ default: m.SessionPage })),
);

export type EventStreamFactory = (onAuthEnded: () => void) => EventStream;

const browserEventStream: EventStreamFactory = (onAuthEnded) =>
  new EventStream({ url: webSocketUrl(eventsPath), onAuthEnded });

/** The whole dashboard. Tests hand it a client over a fake fetch and a stream over a fake WebSocket. */
export function App({
  client,
  createEventStream = browserEventStream,
}: {
  client: ApiClient;
  createEventStream?: EventStreamFactory;
}) {
  return (
    <ErrorBoundary>
      <ApiProvider client={client}>
        <AuthProvider>
          <Screens createEventStream={createEventStream} />
        </AuthProvider>
      </ApiProvider>
    </ErrorBoundary>
  );
}

function Screens({ createEventStream }: { createEventStream: EventStreamFactory }) {
  const { state, recheck } = useAuth();
  const route = useRoute();
  const url = useLocation();
  if (state.status === 'checking') {
    return (
      <main className="page-center">
        <Loading label="Connecting to berth…" />
      </main>
    );
  }
  if (state.status === 'unreachable') {
    return (
      <main className="page-center">
        <ProblemMessage title="berth is not answering" error={state.error} onRetry={recheck} />
      </main>
    );
  }
  if (state.status === 'signed-out') {
    if (route.page !== 'login') return <Redirect to={paths.login(url)} />;
    return (
      <Suspense fallback={<PageLoading />}>
        <LoginPage reason={state.reason} />
      </Suspense>
    );
  }
  if (route.page === 'login') return <Redirect to={route.next ?? paths.dashboard} />;
  return <SignedIn route={route} url={url} createEventStream={createEventStream} />;
}

function SignedIn({
  route,
  url,
  createEventStream,
}: {
  route: Route;
  url: string;
  createEventStream: EventStreamFactory;
}) {
  const { expire } = useAuth();
  const stream = useMemo(() => createEventStream(expire), [createEventStream, expire]);
  return (
    <EventsProvider stream={stream}>
      <AgentNotifications />
      <AppHeader />
      <main id="main" className="page" tabIndex={-1}>
        <ErrorBoundary resetKey={url}>
          <Suspense fallback={<Loading label="Loading…" />}>
            <Page route={route} />
          </Suspense>
        </ErrorBoundary>
      </main>
    </EventsProvider>
  );
}

function PageLoading() {
  return (
    <main className="page-center">
      <Loading label="Loading…" />
    </main>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'dashboard':
      return <DashboardPage />;
    case 'create':
      return <CreatePage />;
    case 'session':
      return <SessionPage key={route.name} name={route.name} />;
    default:
      return <NotFoundPage />;
  }
}
