import type { Static } from 'typebox';
import type { WaitForAgentResponse } from './agent-prompts.js';
import type { WaitableState } from './agent-status.js';
import type { AgentList, PutCredentialsRequest } from './agents.js';
import { ApiError } from './api-error.js';
import type { Me, Token, User } from './auth.js';
import type { PatchSessionRequest } from './resources.js';
import type {
  Capabilities,
  CreateProgressLine,
  CreateSessionRequest,
  DaemonInfo,
  Diff,
  EgressReport,
  ExecResponse,
  Health,
  PreviewOptions,
  PreviewTicket,
  Problem,
  ServerConfig,
  Session,
  Stats,
} from './schemas.js';
import type { Team } from './teams.js';
import type { Transport, TransportResponse } from './transport.js';
import { API_PREFIX } from './version.js';

type TeamInfo = Static<typeof Team>;

export type SessionAction = 'pause' | 'resume' | 'stop' | 'start' | 'restart' | 'cancel';

/** A terminal's size in characters, as `shell` and `attach` open it. */
export interface TerminalSize {
  cols: number;
  rows: number;
}

const enc = encodeURIComponent;

/** The events WebSocket: JSON text frames, each a `ServerFrame`; send `ClientMessage`s. */
export const eventsPath = `${API_PREFIX}/events`;

/** A shell in a session: binary frames are terminal bytes, text frames are control. */
export function shellPath(name: string, size: TerminalSize): string {
  return `${API_PREFIX}/sessions/${enc(name)}/shell?cols=${size.cols}&rows=${size.rows}`;
}

/** The agent's own terminal (its tmux session): the same frames as a shell; closing detaches. */
export function attachPath(name: string, size: TerminalSize): string {
  return `${API_PREFIX}/sessions/${enc(name)}/attach?cols=${size.cols}&rows=${size.rows}`;
}

/**
 * Typed client for berth's REST API over any `Transport`: the methods, paths and answers live
 * here, how bytes travel lives in the transport. `@berth/api/node` makes one from an Endpoint;
 * the dashboard makes one over fetch. Sockets and streams are the transport's own types.
 */
export class BerthClient<
  Socket = unknown,
  Body extends AsyncIterable<Uint8Array> = AsyncIterable<Uint8Array>,
> {
  constructor(protected readonly transport: Transport<Socket, Body>) {}

  private open(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<TransportResponse<Body>> {
    const h: Record<string, string> = { ...headers };
    if (body === undefined) return this.transport.request({ method, path, headers: h });
    h['content-type'] = 'application/json';
    return this.transport.request({ method, path, headers: h, body: JSON.stringify(body) });
  }

  private async json<T>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const res = await this.open(method, path, body, headers);
    const text = await readText(res.body);
    if (res.status >= 400) throw ApiError.fromText(res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Base64 to bytes and back, for exec; Node's transport client swaps in Buffer's faster ones. */
  protected fromBase64(text: string): Uint8Array {
    const s = atob(text);
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }

  protected toBase64(bytes: Uint8Array): string {
    let s = '';
    // In slices: spreading megabytes into one call would pass the engine's argument limit.
    for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(s);
  }

  /**
   * A browser-style login: returns the session cookie and its CSRF token. The CLI trades it for
   * an API token at once (`berth login`) and logs the cookie out.
   */
  async login(
    username: string,
    password: string,
  ): Promise<{ cookie: string; csrfToken: string; user: User }> {
    const res = await this.open('POST', `${API_PREFIX}/auth/login`, { username, password });
    const text = await readText(res.body);
    if (res.status >= 400) throw ApiError.fromText(res.status, text);
    // A browser never shows Set-Cookie to scripts: the cookie is then empty, and the browser keeps it.
    const cookie = String(res.headers['set-cookie'] ?? '').split(';')[0] ?? '';
    const body = JSON.parse(text) as { csrfToken: string; user: User };
    return { cookie, csrfToken: body.csrfToken, user: body.user };
  }

  async logout(auth?: { cookie: string; csrfToken: string }): Promise<void> {
    await this.json('POST', `${API_PREFIX}/auth/logout`, undefined, auth ? cookieHeaders(auth) : undefined);
  }

  createToken(name: string, opts: { username?: string; as?: { cookie: string; csrfToken: string } } = {}) {
    return this.json<{ token: string; info: Token }>(
      'POST',
      `${API_PREFIX}/tokens`,
      { name, ...(opts.username ? { username: opts.username } : {}) },
      opts.as ? cookieHeaders(opts.as) : undefined,
    );
  }

  async listTokens(username?: string): Promise<Token[]> {
    const q = username ? `?username=${enc(username)}` : '';
    return (await this.json<{ tokens: Token[] }>('GET', `${API_PREFIX}/tokens${q}`)).tokens;
  }

  async revokeToken(id: string): Promise<void> {
    await this.json('DELETE', `${API_PREFIX}/tokens/${enc(id)}`);
  }

  createUser(req: { username: string; password?: string; role?: 'admin' | 'member' }): Promise<User> {
    return this.json('POST', `${API_PREFIX}/users`, req);
  }

  async listUsers(): Promise<User[]> {
    return (await this.json<{ users: User[] }>('GET', `${API_PREFIX}/users`)).users;
  }

  createTeam(name: string): Promise<TeamInfo> {
    return this.json('POST', `${API_PREFIX}/teams`, { name });
  }

  async listTeams(): Promise<TeamInfo[]> {
    return (await this.json<{ teams: TeamInfo[] }>('GET', `${API_PREFIX}/teams`)).teams;
  }

  addTeamMember(team: string, username: string): Promise<TeamInfo> {
    return this.json('POST', `${API_PREFIX}/teams/${enc(team)}/members`, { username });
  }

  removeTeamMember(team: string, username: string): Promise<TeamInfo> {
    return this.json('DELETE', `${API_PREFIX}/teams/${enc(team)}/members/${enc(username)}`);
  }

  me(): Promise<Static<typeof Me>> {
    return this.json('GET', `${API_PREFIX}/auth/me`);
  }

  health(): Promise<Health> {
    return this.json('GET', '/health');
  }

  daemonInfo(): Promise<DaemonInfo> {
    return this.json('GET', `${API_PREFIX}/daemon`);
  }

  /** Sessions this caller may see: the server's first page (100) unless `limit` says more. */
  async listSessions(opts: { limit?: number } = {}): Promise<Session[]> {
    const q = opts.limit === undefined ? '' : `?limit=${opts.limit}`;
    return (await this.json<{ sessions: Session[] }>('GET', `${API_PREFIX}/sessions${q}`)).sessions;
  }

  getSession(name: string): Promise<Session> {
    return this.json('GET', `${API_PREFIX}/sessions/${enc(name)}`);
  }

  /**
   * Creates a session, reporting each step to `onProgress` as the server makes it (an ndjson
   * stream). A server that answers plain JSON instead is taken at its word: the session.
   */
  async createSession(req: CreateSessionRequest, onProgress?: (step: string) => void): Promise<Session> {
    const res = await this.open('POST', `${API_PREFIX}/sessions`, req, { accept: 'application/x-ndjson' });
    if (res.status >= 400) throw ApiError.fromText(res.status, await readText(res.body));
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('json') && !type.includes('ndjson'))
      return JSON.parse(await readText(res.body)) as Session;
    for await (const value of ndjsonLines(res.body)) {
      const line = value as CreateProgressLine;
      if ('progress' in line) onProgress?.(line.progress);
      else if ('session' in line) return line.session;
      else throw new ApiError(line.problem as Problem, (line.problem as Problem).status);
    }
    throw new Error('the server ended the create stream without an answer');
  }

  /** Rename, describe, change limits or the idle policy (`PATCH /api/v1/sessions/:name`). */
  updateSession(name: string, change: Static<typeof PatchSessionRequest>): Promise<Session> {
    return this.json('PATCH', `${API_PREFIX}/sessions/${enc(name)}`, change);
  }

  /** What a new session may be given here: images, limits, defaults (`GET /api/v1/config`). */
  config(): Promise<ServerConfig> {
    return this.json('GET', `${API_PREFIX}/config`);
  }

  getCapabilities(): Promise<Capabilities> {
    return this.json('GET', `${API_PREFIX}/capabilities`);
  }

  act(name: string, action: SessionAction): Promise<Session> {
    return this.json('POST', `${API_PREFIX}/sessions/${enc(name)}/${action}`);
  }

  /** Starts (or restarts) a running session's preview: detected, or the given command and port. */
  startPreview(name: string, opts: PreviewOptions = {}): Promise<Session> {
    return this.json('POST', `${API_PREFIX}/sessions/${enc(name)}/preview`, opts);
  }

  /** A short-lived link to the preview through the server. */
  previewTicket(name: string): Promise<PreviewTicket> {
    return this.json('POST', `${API_PREFIX}/sessions/${enc(name)}/preview/ticket`);
  }

  finish(name: string, message: string, opts: { push?: boolean; merge?: boolean } = {}): Promise<Session> {
    return this.json('POST', `${API_PREFIX}/sessions/${enc(name)}/finish`, { message, ...opts });
  }

  async remove(name: string, force = false): Promise<void> {
    await this.json('DELETE', `${API_PREFIX}/sessions/${enc(name)}${force ? '?force=true' : ''}`);
  }

  async exec(
    name: string,
    cmd: string[],
    stdin?: Uint8Array,
  ): Promise<{ exitCode: number; stdout: Uint8Array; stderr: Uint8Array; truncated: boolean }> {
    const r = await this.json<ExecResponse>('POST', `${API_PREFIX}/sessions/${enc(name)}/exec`, {
      cmd,
      ...(stdin ? { stdin: this.toBase64(stdin) } : {}),
    });
    return {
      exitCode: r.exitCode,
      stdout: this.fromBase64(r.stdout),
      stderr: this.fromBase64(r.stderr),
      truncated: r.truncated === true,
    };
  }

  /** The container's output as it comes (with `follow`, until the session stops or the caller lets go). */
  async logs(name: string, opts: { tail?: number; follow?: boolean }): Promise<Body> {
    const q = new URLSearchParams();
    if (opts.tail !== undefined) q.set('tail', String(opts.tail));
    if (opts.follow) q.set('follow', 'true');
    const res = await this.open('GET', `${API_PREFIX}/sessions/${enc(name)}/logs?${q}`);
    if (res.status >= 400) throw ApiError.fromText(res.status, await readText(res.body));
    return res.body;
  }

  stats(name: string): Promise<Stats> {
    return this.json('GET', `${API_PREFIX}/sessions/${enc(name)}/stats`);
  }

  /** What the session may reach outside itself, and the egress proxy's decisions, newest first. */
  egress(name: string): Promise<EgressReport> {
    return this.json('GET', `${API_PREFIX}/sessions/${enc(name)}/egress`);
  }

  diff(name: string): Promise<Diff> {
    return this.json('GET', `${API_PREFIX}/sessions/${enc(name)}/diff`);
  }

  /** Opens an interactive terminal: binary frames are terminal bytes, text frames are control. */
  shell(name: string, size: TerminalSize): Socket {
    return this.transport.socket(shellPath(name, size));
  }

  /** The agent's own terminal (its tmux session): like `shell`; closing it leaves the agent running. */
  attach(name: string, size: TerminalSize): Socket {
    return this.transport.socket(attachPath(name, size));
  }

  /** Types `text` into the session's agent as its next prompt (one paste, then Enter); the session after. */
  sendPrompt(name: string, text: string): Promise<Session> {
    return this.json('POST', `${API_PREFIX}/sessions/${enc(name)}/send`, { text });
  }

  /**
   * Waits until the session's agent is in one of `for` (default: idle, needs-input or exited), or
   * `timeoutSeconds` (default and at most 300) pass: `reached` is then `timeout`.
   */
  waitForAgent(
    name: string,
    opts: { for?: readonly WaitableState[]; timeoutSeconds?: number } = {},
  ): Promise<WaitForAgentResponse> {
    return this.json('POST', `${API_PREFIX}/sessions/${enc(name)}/wait`, {
      ...(opts.for ? { for: [...opts.for] } : {}),
      ...(opts.timeoutSeconds !== undefined ? { timeoutSeconds: opts.timeoutSeconds } : {}),
    });
  }

  /**
   * Agent profiles, and which credentials each has set (names and sizes, never values): the
   * caller's own, and with `team` that team's too.
   */
  listAgents(opts: { team?: string } = {}): Promise<AgentList> {
    const q = opts.team === undefined ? '' : `?team=${enc(opts.team)}`;
    return this.json('GET', `${API_PREFIX}/agents${q}`);
  }

  /**
   * Sets a profile's credential directory (a tar) and/or API keys, sealed by the daemon: the
   * caller's own, or with `team` that team's.
   */
  async putAgentCredentials(
    profile: string,
    body: PutCredentialsRequest,
    opts: { team?: string } = {},
  ): Promise<void> {
    const q = opts.team === undefined ? '' : `?team=${enc(opts.team)}`;
    await this.json('PUT', `${API_PREFIX}/agents/${enc(profile)}/credentials${q}`, body);
  }

  /** Removes a profile's credentials (the caller's own, or a team's): all, or one (`dir` or a key's name). */
  async deleteAgentCredentials(profile: string, name?: string, opts: { team?: string } = {}): Promise<void> {
    const q = new URLSearchParams({
      ...(name === undefined ? {} : { name }),
      ...(opts.team === undefined ? {} : { team: opts.team }),
    }).toString();
    await this.json('DELETE', `${API_PREFIX}/agents/${enc(profile)}/credentials${q ? `?${q}` : ''}`);
  }

  /**
   * Opens the real-time events WebSocket (`GET /api/v1/events`): JSON text frames, each a
   * `ServerFrame`; send `ClientMessage`s (JSON) to subscribe to sessions and their logs.
   */
  events(): Socket {
    return this.transport.socket(eventsPath);
  }
}

function cookieHeaders(auth: { cookie: string; csrfToken: string }): Record<string, string> {
  return { cookie: auth.cookie, 'x-berth-csrf': auth.csrfToken };
}

/** A whole body as text; chunks may cut a character in two, so one decoder reads them all. */
async function readText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/** Each parsed line of an `application/x-ndjson` body as it arrives, however the chunks cut it. */
async function* ndjsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<unknown> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body) {
    buffered += decoder.decode(chunk, { stream: true });
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line);
      nl = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  if (buffered.trim()) yield JSON.parse(buffered);
}
