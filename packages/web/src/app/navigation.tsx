import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from 'react';
import { parseRoute, type Route } from './routes';

const NAVIGATED = 'berth:navigate';

/** Client-side navigation with the History API: four screens do not need a router library. */
export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(NAVIGATED));
  if (!opts.replace) window.scrollTo?.(0, 0);
}

function subscribe(cb: () => void): () => void {
  window.addEventListener('popstate', cb);
  window.addEventListener(NAVIGATED, cb);
  return () => {
    window.removeEventListener('popstate', cb);
    window.removeEventListener(NAVIGATED, cb);
  };
}

const currentUrl = () => `${location.pathname}${location.search}`;

export function useLocation(): string {
  return useSyncExternalStore(subscribe, currentUrl);
}

export function useRoute(): Route {
  const url = useLocation();
  const q = url.indexOf('?');
  return q < 0 ? parseRoute(url) : parseRoute(url.slice(0, q), url.slice(q));
}

/** An ordinary link (middle-click, copy address and the keyboard all work) that navigates in place. */
export function Link({ to, onClick, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} {...rest} />;
}
