import { createContext, type ReactNode, useContext, useEffect, useRef, useSyncExternalStore } from 'react';
import type { ConnectionState, EventStream } from './event-stream';
import type { ServerFrame } from './types';

const EventsContext = createContext<EventStream | null>(null);

/** Opens the stream while mounted (that is, while signed in) and shares it below. */
export function EventsProvider({ stream, children }: { stream: EventStream; children: ReactNode }) {
  useEffect(() => {
    stream.start();
    return () => stream.stop();
  }, [stream]);
  return <EventsContext.Provider value={stream}>{children}</EventsContext.Provider>;
}

export function useEventStream(): EventStream | null {
  return useContext(EventsContext);
}

/** Calls the latest `handler` with every frame the server sends. */
export function useServerFrames(handler: (frame: ServerFrame) => void): void {
  const stream = useEventStream();
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => stream?.onFrame((f) => latest.current(f)), [stream]);
}

const noStream = () => () => undefined;

export function useConnectionState(): ConnectionState {
  const stream = useEventStream();
  return useSyncExternalStore(
    stream ? (cb) => stream.onStateChange(cb) : noStream,
    () => stream?.state ?? 'closed',
  );
}

/** Rises with each new connection: after the first, a view reloads what it may have missed. */
export function useConnectionGeneration(): number {
  const stream = useEventStream();
  return useSyncExternalStore(
    stream ? (cb) => stream.onStateChange(cb) : noStream,
    () => stream?.generation ?? 0,
  );
}
