import { type DiffStat, diffStat } from '@berth/api';
import { useEffect, useState } from 'react';
import { useApi } from './api-context';
import type { ApiClient } from './client';
import type { Session } from './types';

export type { DiffStat };

/** At most `max` tasks at a time; a queued task whose caller has moved on is skipped. */
export class Limiter {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly max: number) {}

  run<T>(task: () => Promise<T>, cancelled: () => boolean): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const start = () => {
        if (cancelled()) {
          resolve(undefined);
          this.next();
          return;
        }
        this.active++;
        task()
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.next();
          });
      };
      if (this.active < this.max) start();
      else this.queue.push(start);
    });
  }

  private next(): void {
    if (this.active < this.max) this.queue.shift()?.();
  }
}

// A diff snapshots the session's work in its container: a page of cards asks two at a time.
const limiters = new WeakMap<ApiClient, Limiter>();
function limiterOf(api: ApiClient): Limiter {
  let l = limiters.get(api);
  if (!l) {
    l = new Limiter(2);
    limiters.set(api, l);
  }
  return l;
}

/**
 * How much an agent session has changed: fetched when it is shown and again when its agent's
 * status (or the session's) changes, not on every render. Only running sessions (their diff is a
 * snapshot of the live container) and finished ones (their branch): a paused or stopped
 * container is not woken for a card. Null until known, or when the fetch failed.
 */
export function useDiffStat(session: Session): DiffStat | null {
  const api = useApi();
  const [stat, setStat] = useState<DiffStat | null>(null);
  const { name, status, agentStatus } = session;
  const wanted = session.kind === 'agent' && (status === 'running' || status === 'finished');

  // biome-ignore lint/correctness/useExhaustiveDependencies: a change of `agentStatus` or `status` is the trigger to ask again.
  useEffect(() => {
    if (!wanted) {
      setStat(null);
      return;
    }
    let current = true;
    limiterOf(api)
      .run(
        () => api.diff(name),
        () => !current,
      )
      .then(
        (d) => {
          if (current && d) setStat(d.stat ?? diffStat(d.diff));
        },
        () => {
          if (current) setStat(null);
        },
      );
    return () => {
      current = false;
    };
  }, [api, name, wanted, status, agentStatus]);

  return stat;
}

/** "+12 −3 in 2 files", or "no changes". */
export function formatDiffStat(s: DiffStat): string {
  if (s.files === 0) return 'no changes';
  return `+${s.additions} −${s.deletions} in ${s.files} ${s.files === 1 ? 'file' : 'files'}`;
}
