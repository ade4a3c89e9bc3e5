import { useCallback, useEffect, useReducer } from 'react';
import { useApi } from './api-context';
import { useConnectionGeneration, useServerFrames } from './events-context';
import { sessionOf } from './session-list';
import type { ServerFrame, Session } from './types';

export type LiveSessionState =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'ready'; session: Session; deleted: boolean };

type Action =
  | { type: 'loading' }
  | { type: 'loaded'; session: Session }
  | { type: 'failed'; error: unknown }
  | { type: 'frame'; frame: ServerFrame };

function reduce(state: LiveSessionState, action: Action): LiveSessionState {
  switch (action.type) {
    case 'loading':
      return state.status === 'ready' ? state : { status: 'loading' };
    case 'loaded':
      return { status: 'ready', session: action.session, deleted: false };
    case 'failed':
      return state.status === 'ready' ? state : { status: 'error', error: action.error };
    case 'frame': {
      if (state.status !== 'ready') return state;
      const f = action.frame;
      if (f.type === 'session.deleted' && f.id === state.session.id) return { ...state, deleted: true };
      const s = sessionOf(f);
      if (!s || s.id !== state.session.id || s.updatedAt < state.session.updatedAt) return state;
      return { ...state, session: s };
    }
  }
}

/** One session, kept live by the events WebSocket; `deleted` once someone removes it. */
export function useLiveSession(name: string) {
  const api = useApi();
  const [state, dispatch] = useReducer(reduce, { status: 'loading' });
  const generation = useConnectionGeneration();

  const load = useCallback(() => {
    dispatch({ type: 'loading' });
    api.getSession(name).then(
      (session) => dispatch({ type: 'loaded', session }),
      (error: unknown) => dispatch({ type: 'failed', error }),
    );
  }, [api, name]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `generation` is the trigger.
  useEffect(load, [load, generation]);
  useServerFrames((frame) => dispatch({ type: 'frame', frame }));

  return {
    state,
    reload: load,
    replace: (session: Session) => dispatch({ type: 'loaded', session }),
  };
}
