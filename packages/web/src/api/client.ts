import { ApiError, apiErrorFrom } from './api-error';
import type { CsrfToken } from './csrf-token';
import { readNdjson } from './ndjson';
import {
  type AgentList,
  API,
  type CreateProgressLine,
  type CreateSessionRequest,
  type Diff,
  type EgressReport,
  type PreviewTicket,
  type Principal,
  type Problem,
  type ServerConfig,
  type Session,
  type SessionAction,
  type Stats,
  type Team,
  type User,
} from './types';

export interface ApiClientOptions {
  csrf: CsrfToken;
  /** The seam tests fake; the browser's own by default. */
  fetch?: typeof fetch;
  /** Told when the server says the login has ended (401), so the app can ask for it again. */
  onUnauthorized?: (err: ApiError) => void;
}

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

const enc = encodeURIComponent;
const SAFE = new Set(['GET', 'HEAD']);

/** berth's REST API from the browser: same origin, the login cookie, and the CSRF header on changes. */
export class ApiClient {
  private readonly fetchFn: typeof fetch;
  onUnauthorized: ((err: ApiError) => void) | undefined;
  private early: EarlyCalls = {};

  constructor(private readonly opts: ApiClientOptions) {
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onUnauthorized = opts.onUnauthorized;
  }

  /** Sends a request and answers the response when it is a success; throws an ApiError if not. */
  async send(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (body !== undefined) h['content-type'] = 'application/json';
    const csrf = this.opts.csrf.get();
    if (!SAFE.has(method) && csrf) h['x-berth-csrf'] = csrf;
    let res: Response;
    try {
      res = await this.fetchFn(path, {
        method,
        headers: h,
        credentials: 'same-origin',
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw ApiError.unreachable(err);
    }
    if (res.ok) return res;
    const err = await apiErrorFrom(res);
    if (res.status === 401 && !path.endsWith('/auth/login')) this.onUnauthorized?.(err);
    throw err;
  }

  private async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.send(method, path, body);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * Starts the first page's calls at once (index.html preloads them, so these take those answers),
   * before React renders; the views take them with `takeEarly`. Settles when both have.
   */
  startEarly(dashboard: boolean): Promise<unknown> {
    this.early = { me: earlyCall(this.me()) };
    if (dashboard) this.early.sessions = earlyCall(this.listSessions());
    return Promise.allSettled([this.early.me?.promise, this.early.sessions?.promise]);
  }

  /** The early call for `key`, once: later callers ask the server again. */
  takeEarly<K extends keyof EarlyCalls>(key: K): EarlyCalls[K] {
    const call = this.early[key];
    delete this.early[key];
    return call;
  }

  me(): Promise<Principal> {
    return this.json('GET', `${API}/auth/me`);
  }

  async login(username: string, password: string): Promise<User> {
    const r = await this.json<{ user: User; csrfToken: string }>('POST', `${API}/auth/login`, {
      username,
      password,
    });
    this.opts.csrf.set(r.csrfToken);
    this.early = {};
    return r.user;
  }

  async logout(): Promise<void> {
    try {
      await this.send('POST', `${API}/auth/logout`);
    } finally {
      this.opts.csrf.clear();
    }
  }

  hasCsrfToken(): boolean {
    return this.opts.csrf.get() !== null;
  }

  forgetLogin(): void {
    this.early = {};
    this.opts.csrf.clear();
  }

  config(): Promise<ServerConfig> {
    return this.json('GET', `${API}/config`);
  }

  async teams(): Promise<Team[]> {
    return (await this.json<{ teams: Team[] }>('GET', `${API}/teams`)).teams;
  }

  /** Admins only; others get a 403 (callers fall back to showing ids). */
  /** Agent profiles a session may run, with what of their credentials is set (never the values). */
  agents(): Promise<AgentList> {
    return this.json('GET', `${API}/agents`);
  }

  async users(): Promise<User[]> {
    return (await this.json<{ users: User[] }>('GET', `${API}/users`)).users;
  }

  /** Every session this user may see (the server's maximum page: filtering happens here, live). */
  async listSessions(): Promise<Session[]> {
    return (await this.json<{ sessions: Session[] }>('GET', `${API}/sessions?limit=500`)).sessions;
  }

  getSession(name: string): Promise<Session> {
    return this.json('GET', `${API}/sessions/${enc(name)}`);
  }

  /** Creates a session, reporting each step as the server takes it (the ndjson stream). */
  async createSession(req: CreateSessionRequest, onProgress: (step: string) => void): Promise<Session> {
    const res = await this.send('POST', `${API}/sessions`, req, { accept: 'application/x-ndjson' });
    if (!res.body || !(res.headers.get('content-type') ?? '').includes('ndjson')) {
      return (await res.json()) as Session;
    }
    const answer: { session?: Session; problem?: Problem } = {};
    await readNdjson(res.body, (value) => {
      const line = value as CreateProgressLine;
      if ('progress' in line) onProgress(line.progress);
      else if ('session' in line) answer.session = line.session;
      else answer.problem = line.problem as Problem;
    });
    if (answer.problem) throw new ApiError(answer.problem, answer.problem.status);
    if (!answer.session) throw new Error('the server ended the create stream without an answer');
    return answer.session;
  }

  act(name: string, action: SessionAction): Promise<Session> {
    return this.json('POST', `${API}/sessions/${enc(name)}/${action}`);
  }

  finish(name: string, message: string, opts: { push?: boolean; merge?: boolean } = {}): Promise<Session> {
    return this.json('POST', `${API}/sessions/${enc(name)}/finish`, { message, ...opts });
  }

  /** Starts (or restarts) the session's dev server. */
  startPreview(name: string): Promise<Session> {
    return this.json('POST', `${API}/sessions/${enc(name)}/preview`, {});
  }

  /** A single-use link that opens the preview through the server, on the preview's own origin. */
  previewTicket(name: string): Promise<PreviewTicket> {
    return this.json('POST', `${API}/sessions/${enc(name)}/preview/ticket`);
  }

  async remove(name: string, force: boolean): Promise<void> {
    await this.send('DELETE', `${API}/sessions/${enc(name)}${force ? '?force=true' : ''}`);
  }

  stats(name: string): Promise<Stats> {
    return this.json('GET', `${API}/sessions/${enc(name)}/stats`);
  }

  diff(name: string): Promise<Diff> {
    return this.json('GET', `${API}/sessions/${enc(name)}/diff`);
  }

  /** What the session may reach outside itself, and what berth's egress proxy decided. */
  egress(name: string): Promise<EgressReport> {
    return this.json('GET', `${API}/sessions/${enc(name)}/egress`);
  }

  /** A plain link: the browser sends the cookie and saves the file the server names. */
  logsDownloadUrl(name: string): string {
    return `${API}/sessions/${enc(name)}/logs?download=true`;
  }
}

/** `ws(s)://` on this page's own host: the server checks the Origin, the browser sends the cookie. */
export function webSocketUrl(path: string, base: string = globalThis.location.href): string {
  const u = new URL(path, base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

export const eventsPath = `${API}/events`;

export function shellPath(name: string, size: { cols: number; rows: number }): string {
  return `${API}/sessions/${enc(name)}/shell?cols=${size.cols}&rows=${size.rows}`;
}

/** The agent's own terminal (its tmux session): same frames as a shell; closing detaches. */
export function attachPath(name: string, size: { cols: number; rows: number }): string {
  return `${API}/sessions/${enc(name)}/attach?cols=${size.cols}&rows=${size.rows}`;
}
