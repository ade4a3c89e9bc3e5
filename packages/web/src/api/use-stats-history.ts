import { useEffect, useState } from 'react';
import { useApi } from './api-context';
import type { Stats } from './types';

export type StatsHistory =
  | { status: 'idle' }
  | { status: 'loading' }
  | { status: 'error'; error: unknown; retry: () => void }
  | { status: 'ready'; samples: Stats[] };

/**
 * Polls a running session's `/stats` every `intervalMs` (the next poll waits for the answer, so a
 * slow engine is never asked twice at once) and keeps the last `keep` samples.
 */
export function useStatsHistory(name: string, active: boolean, intervalMs = 2000, keep = 60): StatsHistory {
  const api = useApi();
  const [samples, setSamples] = useState<Stats[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [round, setRound] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` restarts polling after an error.
  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = () => {
      api.stats(name).then(
        (s) => {
          if (stopped) return;
          setSamples((prev) => [...prev, s].slice(-keep));
          timer = setTimeout(poll, intervalMs);
        },
        (err: unknown) => !stopped && setError(err),
      );
    };
    setError(null);
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, name, active, intervalMs, keep, round]);

  if (!active) return { status: 'idle' };
  if (error !== null) return { status: 'error', error, retry: () => setRound((n) => n + 1) };
  if (samples.length === 0) return { status: 'loading' };
  return { status: 'ready', samples };
}
