import { type DependencyList, useCallback, useEffect, useRef, useState } from 'react';

export type Resource<T> =
  | { status: 'loading' }
  | { status: 'error'; error: unknown }
  | { status: 'ready'; data: T };

/**
 * Loads `load()` when `deps` change; `reload()` loads again. An answer that comes after the view
 * moved on (unmounted, or newer deps) is dropped. A `quiet` reload keeps what is shown until the
 * answer comes (polling, refreshing after an action).
 */
export function useResource<T>(
  load: () => Promise<T>,
  deps: DependencyList,
): Resource<T> & { reload: (opts?: { quiet?: boolean }) => void } {
  const [state, setState] = useState<Resource<T>>({ status: 'loading' });
  const [round, setRound] = useState(0);
  const quietNext = useRef(false);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `load` is new each render; `deps` say when it changes.
  useEffect(() => {
    let current = true;
    if (!quietNext.current) setState({ status: 'loading' });
    quietNext.current = false;
    load().then(
      (data) => current && setState({ status: 'ready', data }),
      (error: unknown) => current && setState({ status: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [...deps, round]);

  const reload = useCallback((opts?: { quiet?: boolean }) => {
    quietNext.current = opts?.quiet === true;
    setRound((n) => n + 1);
  }, []);
  return { ...state, reload };
}
