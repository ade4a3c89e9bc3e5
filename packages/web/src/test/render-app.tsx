import { cleanup, configure, render } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';
import { ApiClient } from '../api/client';
import { CsrfToken } from '../api/csrf-token';
import { EventStream } from '../api/event-stream';
import { App } from '../app/app';
import { type FakeFetch, type FakeRoute, fakeFetch, json, problem } from './fake-fetch';
import { asWebSocket, FakeWebSocket } from './fake-web-socket';
import { ADMIN } from './sessions';

// The suite shares two cores with engine tests: a whole-app render can take past findBy's 1 s default.
configure({ asyncUtilTimeout: 5_000 });

beforeEach(() => {
  FakeWebSocket.reset();
  localStorage.clear();
  window.scrollTo = () => undefined;
});
afterEach(cleanup);

export interface RenderedApp {
  server: FakeFetch;
  /** The events WebSocket the app opened (the first one), played by the test. */
  events(): FakeWebSocket;
}

/**
 * The whole dashboard at `path`, talking to a fake server: `routes` answer its fetches and the
 * events WebSocket is a FakeWebSocket. Signed in as an admin unless `signedIn` is false.
 */
export function renderApp(
  path: string,
  routes: Record<string, FakeRoute>,
  opts: { signedIn?: boolean } = {},
): RenderedApp {
  const signedIn = opts.signedIn ?? true;
  history.replaceState(null, '', path);
  const server = fakeFetch({
    'GET /api/v1/auth/me': () =>
      signedIn
        ? json({ kind: 'user', user: ADMIN, via: 'cookie' })
        : problem(401, 'unauthorized', 'sign in first: this server needs credentials on TCP'),
    'GET /api/v1/users': () => json({ users: [ADMIN] }),
    'GET /api/v1/teams': () => json({ teams: [] }),
    ...routes,
  });
  const csrf = new CsrfToken(null);
  if (signedIn) csrf.set('csrf-for-tests');
  const client = new ApiClient({ csrf, fetch: server.fetch });
  const createEventStream = (onAuthEnded: () => void) =>
    new EventStream({
      url: 'ws://localhost/api/v1/events',
      WebSocket: asWebSocket,
      onAuthEnded,
      baseDelayMs: 5,
    });
  render(<App client={client} createEventStream={createEventStream} />);
  return {
    server,
    events: () => {
      const ws = FakeWebSocket.all.find((w) => w.url.endsWith('/api/v1/events'));
      if (!ws) throw new Error('the app opened no events WebSocket');
      return ws;
    },
  };
}
