import { useCallback, useState, useSyncExternalStore } from 'react';
import { navigate } from '../app/navigation';
import { paths } from '../app/routes';
import { useServerFrames } from './events-context';

const KEY = 'berth.notify';
const listeners = new Set<() => void>();

/** The browser's Notification API, where there is one (not in every browser, nor in jsdom). */
function notificationApi(): typeof Notification | undefined {
  return (globalThis as { Notification?: typeof Notification }).Notification;
}

function stored(): boolean {
  try {
    return localStorage.getItem(KEY) === 'on';
  } catch {
    return false;
  }
}

function store(on: boolean): void {
  try {
    if (on) localStorage.setItem(KEY, 'on');
    else localStorage.removeItem(KEY);
  } catch {
    // Storage switched off: the choice lasts until reload.
  }
  for (const l of [...listeners]) l();
}

function subscribe(cb: () => void): () => void {
  listeners.add(cb);
  return () => listeners.delete(cb);
}

export interface NotifySetting {
  /** The browser can show notifications at all. */
  supported: boolean;
  /** On: asked for, and the browser allows it. */
  enabled: boolean;
  /** The browser was asked and said no: only its own site settings change that. */
  blocked: boolean;
  setEnabled(on: boolean): Promise<void>;
}

/**
 * The opt-in to a browser notification when an agent starts waiting for input: off until the user
 * turns it on, which asks the browser's permission; remembered on this browser.
 */
export function useNotifySetting(): NotifySetting {
  const on = useSyncExternalStore(subscribe, stored);
  const N = notificationApi();
  const [permission, setPermission] = useState<NotificationPermission>(() => N?.permission ?? 'denied');
  const setEnabled = useCallback(async (want: boolean) => {
    const api = notificationApi();
    if (!want || !api) {
      store(false);
      return;
    }
    let p = api.permission;
    if (p === 'default') p = await api.requestPermission();
    setPermission(p);
    store(p === 'granted');
  }, []);
  return {
    supported: N !== undefined,
    enabled: on && permission === 'granted',
    blocked: N !== undefined && permission === 'denied',
    setEnabled,
  };
}

/**
 * While turned on: a notification each time an agent the user may see (the server sends frames
 * only about those) starts waiting for input. Clicking it brings this window forward on that
 * session's page.
 */
export function useAgentNotifications(): void {
  useServerFrames((frame) => {
    if (frame.type !== 'agent.status.changed' || frame.to !== 'needs-input' || frame.from === 'needs-input') {
      return;
    }
    const N = notificationApi();
    if (N?.permission !== 'granted' || !stored()) return;
    const s = frame.session;
    let n: Notification;
    try {
      n = new N(`berth: ${s.name} needs you`, {
        body: s.task ?? s.description ?? '',
        // A second question from the same agent replaces the first rather than piling up.
        tag: `berth-needs-input-${s.id}`,
      });
    } catch {
      // Some browsers (Chrome on Android) show notifications only from a service worker.
      return;
    }
    n.onclick = () => {
      window.focus();
      navigate(paths.session(s.name));
      n.close();
    };
  });
}

/** Mounted once where the events stream is: notifies on every page, not only the dashboard. */
export function AgentNotifications(): null {
  useAgentNotifications();
  return null;
}
