import { useEffect, useState } from 'react';
import { ApiError } from './api-error';
import { useEventStream } from './events-context';

export interface LogLine {
  /** Rises by one per line: a stable key, and a count of what was dropped. */
  n: number;
  stream: 'stdout' | 'stderr';
  text: string;
}

export type LogFollowState =
  | { status: 'loading' }
  | { status: 'error'; error: ApiError }
  | { status: 'ready'; lines: LogLine[]; dropped: number; ended: string | null };

/** A session's output over the events WebSocket: the last `tail` lines, then new ones as they come. */
export function useLogFollow(name: string, tail = 500, keep = 5000): LogFollowState {
  const stream = useEventStream();
  const [state, setState] = useState<LogFollowState>({ status: 'loading' });

  useEffect(() => {
    if (!stream) return;
    let n = 0;
    const ready = (s: LogFollowState) =>
      s.status === 'ready' ? s : { status: 'ready' as const, lines: [], dropped: 0, ended: null };
    setState({ status: 'loading' });
    return stream.followLogs(name, tail, {
      onReset: () => setState({ status: 'loading' }),
      onReady: () => setState(ready),
      onLines: (from, texts) =>
        setState((prev) => {
          const cur = ready(prev);
          const added = texts.map((text) => ({ n: n++, stream: from, text }));
          const all = [...cur.lines, ...added];
          const over = Math.max(0, all.length - keep);
          return {
            status: 'ready',
            lines: over ? all.slice(over) : all,
            dropped: cur.dropped + over,
            ended: null,
          };
        }),
      onEnded: (message) => setState((prev) => ({ ...ready(prev), ended: message })),
      onError: (problem) => setState({ status: 'error', error: new ApiError(problem, problem.status) }),
    });
  }, [stream, name, tail, keep]);

  return state;
}
