import { createContext, type ReactNode, useCallback, useContext, useEffect, useMemo, useState } from 'react';
import { useApi } from '../api/api-context';
import type { ApiClient } from '../api/client';
import type { Principal } from '../api/types';

export type AuthState =
  | { status: 'checking' }
  | { status: 'unreachable'; error: unknown }
  | { status: 'signed-out'; reason: string | null }
  | { status: 'signed-in'; principal: Principal };

interface Auth {
  state: AuthState;
  signIn(username: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  /** The server ended the login (a 401, a revoked WebSocket): ask for it again. */
  expire(): void;
  recheck(): void;
}

const AuthContext = createContext<Auth | null>(null);

/** Who is signed in: asked of the server at start, changed by login, logout, or a 401 anywhere. */
export function AuthProvider({ children }: { children: ReactNode }) {
  const api = useApi();
  // The answer main.tsx asked for before the first render: used as it stands when it came already.
  const [first] = useState(() => {
    const call = api.takeEarly('me');
    return { call, state: call?.result?.ok ? stateOf(api, call.result.value) : null };
  });
  const [state, setState] = useState<AuthState>(first.state ?? { status: 'checking' });
  const [round, setRound] = useState(0);

  useEffect(() => {
    if (round === 0 && first.state) return;
    let current = true;
    (round === 0 && first.call ? first.call.promise : api.me()).then(
      (principal) => {
        if (!current) return;
        setState(stateOf(api, principal));
      },
      (error: { status?: number }) => {
        if (!current) return;
        setState(
          error.status === 401 ? { status: 'signed-out', reason: null } : { status: 'unreachable', error },
        );
      },
    );
    return () => {
      current = false;
    };
  }, [api, round, first]);

  const expire = useCallback(() => {
    api.forgetLogin();
    setState({ status: 'signed-out', reason: 'Your login has ended. Sign in again to go on.' });
  }, [api]);

  useEffect(() => {
    api.onUnauthorized = expire;
    return () => {
      api.onUnauthorized = undefined;
    };
  }, [api, expire]);

  const signIn = useCallback(
    async (username: string, password: string) => {
      const { user } = await api.login(username, password);
      setState({ status: 'signed-in', principal: { kind: 'user', user, via: 'cookie' } });
    },
    [api],
  );

  const signOut = useCallback(async () => {
    await api.logout().catch(() => undefined);
    setState({ status: 'signed-out', reason: null });
  }, [api]);

  const recheck = useCallback(() => {
    setState({ status: 'checking' });
    setRound((n) => n + 1);
  }, []);

  const value = useMemo(
    () => ({ state, signIn, signOut, expire, recheck }),
    [state, signIn, signOut, expire, recheck],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** The cookie is shared by tabs, the CSRF token is not: this tab signs in on its own. */
function stateOf(api: ApiClient, principal: Principal): AuthState {
  if (principal.via === 'cookie' && !api.hasCsrfToken()) return { status: 'signed-out', reason: null };
  return { status: 'signed-in', principal };
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth needs an <AuthProvider> above it');
  return auth;
}

/** The signed-in principal; only for views that render when signed in. */
export function usePrincipal(): Principal {
  const { state } = useAuth();
  if (state.status !== 'signed-in') throw new Error('usePrincipal outside a signed-in view');
  return state.principal;
}
