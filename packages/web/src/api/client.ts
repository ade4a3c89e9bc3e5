import { BerthClient, type Session } from '@berth/api';
import type { ApiError } from './api-error';
import type { CsrfToken } from './csrf-token';
import { FetchTransport, type FetchTransportOptions } from './fetch-transport';
import { API, type Principal } from './types';

export { attachPath, eventsPath, shellPath } from '@berth/api';
export { webSocketUrl } from './fetch-transport';

export type ApiClientOptions = FetchTransportOptions;

/** The dashboard asks for up to this many sessions at once (the server's maximum): it filters them live. */
export const SESSION_PAGE = 500;

/** A call started before React renders; `result` is there once it has settled. */
export interface EarlyCall<T> {
  promise: Promise<T>;
  result?: { ok: true; value: T } | { ok: false; error: unknown };
}

function earlyCall<T>(promise: Promise<T>): EarlyCall<T> {
  const call: EarlyCall<T> = { promise };
  promise.then(
    (value) => {
      call.result = { ok: true, value };
    },
    (error: unknown) => {
      call.result = { ok: false, error };
    },
  );
  return call;
}

interface EarlyCalls {
  me?: EarlyCall<Principal>;
  sessions?: EarlyCall<Session[]>;
}

/**
 * The shared BerthClient over fetch, plus what only the dashboard needs: the CSRF token kept from
 * login, the calls started before the first render, and plain links.
 */
export class ApiClient extends BerthClient<WebSocket> {
  private readonly csrf: CsrfToken;
  private readonly fetchTransport: FetchTransport;
  private early: EarlyCalls = {};

  constructor(opts: ApiClientOptions) {
    const transport = new FetchTransport(opts);
    super(transport);
    this.fetchTransport = transport;
    this.csrf = opts.csrf;
  }

  get onUnauthorized(): ((err: ApiError) => void) | undefined {
    return this.fetchTransport.onUnauthorized;
  }

  set onUnauthorized(hook: ((err: ApiError) => void) | undefined) {
    this.fetchTransport.onUnauthorized = hook;
  }

  /**
   * Starts the first page's calls at once (index.html preloads them, so these take those answers),
   * before React renders; the views take them with `takeEarly`. Settles when both have.
   */
  startEarly(dashboard: boolean): Promise<unknown> {
    this.early = { me: earlyCall(this.me()) };
    if (dashboard) this.early.sessions = earlyCall(this.listSessions({ limit: SESSION_PAGE }));
    return Promise.allSettled([this.early.me?.promise, this.early.sessions?.promise]);
  }

  /** The early call for `key`, once: later callers ask the server again. */
  takeEarly<K extends keyof EarlyCalls>(key: K): EarlyCalls[K] {
    const call = this.early[key];
    delete this.early[key];
    return call;
  }

  /** Signs in with the login cookie (the browser keeps it) and keeps the CSRF token for changes. */
  override async login(username: string, password: string): ReturnType<BerthClient['login']> {
    const r = await super.login(username, password);
    this.csrf.set(r.csrfToken);
    this.early = {};
    return r;
  }

  override async logout(): Promise<void> {
    try {
      await super.logout();
    } finally {
      this.csrf.clear();
    }
  }

  hasCsrfToken(): boolean {
    return this.csrf.get() !== null;
  }

  forgetLogin(): void {
    this.early = {};
    this.csrf.clear();
  }

  /** A plain link: the browser sends the cookie and saves the file the server names. */
  logsDownloadUrl(name: string): string {
    return `${API}/sessions/${encodeURIComponent(name)}/logs?download=true`;
  }
}
