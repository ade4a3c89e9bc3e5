import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { managedFilter } from './labels.js';
import type { RuntimeEvent } from './runtime.js';

/**
 * The engine's events for berth's containers of this BERTH_HOME, until the signal aborts; a broken
 * stream is followed again from the last event seen, with backoff (`onReconnect` hears of each).
 */
export async function followEvents(
  docker: Docker,
  home: string,
  signal: AbortSignal,
  onEvent: (e: RuntimeEvent) => void,
  onReconnect: (() => void) | undefined,
  sinceSeconds: number,
): Promise<void> {
  let since = sinceSeconds;
  let backoff = 250;
  while (!signal.aborted) {
    try {
      // The engine sends no headers until the first event: the signal must reach the request.
      const stream = (await docker.getEvents({
        abortSignal: signal,
        since,
        filters: {
          type: ['container'],
          ...managedFilter(home),
          event: ['create', 'die', 'destroy', 'start', 'pause', 'unpause'],
        },
      })) as unknown as Readable;
      backoff = 250;
      const abort = () => stream.destroy();
      signal.addEventListener('abort', abort, { once: true });
      let buf = '';
      try {
        for await (const chunk of stream) {
          buf += chunk.toString();
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            nl = buf.indexOf('\n');
            if (!line.trim()) continue;
            const ev = JSON.parse(line) as DockerEvent;
            since = Math.max(since, ev.time);
            const labels = ev.Actor?.Attributes ?? {};
            const containerId = ev.Actor?.ID ?? ev.id ?? '';
            if (ev.Action === 'die') {
              const code = Number(labels.exitCode);
              onEvent({ kind: 'die', containerId, exitCode: Number.isFinite(code) ? code : null, labels });
            } else if (ev.Action === 'destroy') {
              onEvent({ kind: 'destroy', containerId, labels });
            } else if (
              ev.Action === 'create' ||
              ev.Action === 'start' ||
              ev.Action === 'pause' ||
              ev.Action === 'unpause'
            ) {
              onEvent({ kind: ev.Action, containerId, labels });
            }
          }
        }
      } finally {
        signal.removeEventListener('abort', abort);
      }
    } catch {
      // Engine gone or stream broken: retry below with backoff.
    }
    if (signal.aborted) return;
    await new Promise((r) => setTimeout(r, backoff));
    backoff = Math.min(backoff * 2, 5000);
    onReconnect?.();
  }
}
interface DockerEvent {
  Action: string;
  id?: string;
  time: number;
  Actor?: { ID: string; Attributes?: Record<string, string> };
}
