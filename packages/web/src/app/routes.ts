/** The dashboard's screens, by URL. The server answers index.html for each of these paths. */
export type Route =
  | { page: 'dashboard' }
  | { page: 'login'; next: string | null }
  | { page: 'create' }
  | { page: 'session'; name: string }
  | { page: 'not-found'; path: string };

export function parseRoute(pathname: string, search = ''): Route {
  if (pathname === '/' || pathname === '/index.html') return { page: 'dashboard' };
  if (pathname === '/login')
    return { page: 'login', next: safeNext(new URLSearchParams(search).get('next')) };
  if (pathname === '/new') return { page: 'create' };
  const m = /^\/sessions\/([^/]+)\/?$/.exec(pathname);
  if (m) {
    try {
      return { page: 'session', name: decodeURIComponent(m[1]!) };
    } catch {
      return { page: 'not-found', path: pathname };
    }
  }
  return { page: 'not-found', path: pathname };
}

export const paths = {
  dashboard: '/',
  create: '/new',
  session: (name: string) => `/sessions/${encodeURIComponent(name)}`,
  login: (next?: string) => (next && next !== '/' ? `/login?next=${encodeURIComponent(next)}` : '/login'),
};

/** Only a path on this site: `next=//evil.example` must not send a signed-in user elsewhere. */
function safeNext(next: string | null): string | null {
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : null;
}
