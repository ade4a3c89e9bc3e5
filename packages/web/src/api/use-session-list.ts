import { useCallback, useEffect, useReducer, useRef } from 'react';
import { useApi } from './api-context';
import { type EarlyCall, SESSION_PAGE } from './client';
import { useConnectionGeneration, useServerFrames } from './events-context';
import { applyFrame, upsertSession } from './session-list';
import type { ServerFrame, Session } from './types';

export type SessionListState =
  | { status: 'loading'; pending: ServerFrame[] }
  | { status: 'error'; error: unknown; pending: ServerFrame[] }
  | { status: 'ready'; sessions: Session[] };

type Action =
  | { type: 'loading' }
  | { type: 'loaded'; sessions: Session[] }
  | { type: 'failed'; error: unknown }
  | { type: 'frame'; frame: ServerFrame }
  | { type: 'replace'; session: Session }
  | { type: 'removed'; id: string };

/** Frames that come while the list loads wait, then apply on top of what the server answered. */
export function reduceSessionList(state: SessionListState, action: Action): SessionListState {
  switch (action.type) {
    case 'loading':
      return state.status === 'ready' ? state : { status: 'loading', pending: state.pending };
    case 'loaded': {
      const pending = state.status === 'ready' ? [] : state.pending;
      return { status: 'ready', sessions: pending.reduce(applyFrame, action.sessions) };
    }
    case 'failed':
      return state.status === 'ready' ? state : { status: 'error', error: action.error, pending: [] };
    case 'frame':
      return state.status === 'ready'
        ? { status: 'ready', sessions: applyFrame(state.sessions, action.frame) }
        : { ...state, pending: [...state.pending, action.frame] };
    case 'replace':
      return state.status === 'ready'
        ? { status: 'ready', sessions: upsertSession(state.sessions, action.session) }
        : state;
    case 'removed':
      return state.status === 'ready'
        ? { status: 'ready', sessions: state.sessions.filter((s) => s.id !== action.id) }
        : state;
  }
}

/** Every session this user may see, kept live by the events WebSocket. */
export function useSessionList() {
  const api = useApi();
  // The list main.tsx asked for before the first render (a failed one is asked again).
  const early = useRef<EarlyCall<Session[]> | undefined>(undefined);
  const [state, dispatch] = useReducer(reduceSessionList, api, (a): SessionListState => {
    early.current = a.takeEarly('sessions');
    const r = early.current?.result;
    if (r && !r.ok) early.current = undefined;
    return r?.ok ? { status: 'ready', sessions: r.value } : { status: 'loading', pending: [] };
  });
  const shownEarly = useRef(state.status === 'ready');
  const generation = useConnectionGeneration();

  const load = useCallback(() => {
    const call = early.current;
    early.current = undefined;
    if (call && shownEarly.current) return;
    dispatch({ type: 'loading' });
    (call?.promise ?? api.listSessions({ limit: SESSION_PAGE })).then(
      (sessions) => dispatch({ type: 'loaded', sessions }),
      (error: unknown) => dispatch({ type: 'failed', error }),
    );
  }, [api]);

  // On mount, and again on each new connection: frames sent while it was down are gone.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is the trigger.
  useEffect(load, [load, generation]);
  useServerFrames((frame) => dispatch({ type: 'frame', frame }));

  return {
    state,
    reload: load,
    /** Shows an action's answer at once, before its event arrives. */
    replace: (session: Session) => dispatch({ type: 'replace', session }),
    removed: (id: string) => dispatch({ type: 'removed', id }),
  };
}
