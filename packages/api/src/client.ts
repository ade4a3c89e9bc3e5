import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { Static } from 'typebox';
import WebSocket from 'ws';
import type { WaitForAgentResponse } from './agent-prompts.js';
import type { WaitableState } from './agent-status.js';
import type { AgentList, PutCredentialsRequest } from './agents.js';
import type { Token, User } from './auth.js';
import type { PatchSessionRequest } from './resources.js';
import type { Team } from './teams.js';

type TeamInfo = Static<typeof Team>;

import { ApiError } from './api-error.js';
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
  Session,
  Stats,
} from './schemas.js';
import { API_PREFIX } from './version.js';

/** One request handed to a `dispatch` endpoint: the server answering in the same process. */
export interface DispatchRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

/** The answer of a `dispatch` endpoint: status, headers and the body as a stream. */
export interface DispatchResponse {
  status: number;
  headers: IncomingHttpHeaders | OutgoingHttpHeaders;
  body: Readable;
}

export type Dispatch = (req: DispatchRequest) => Promise<DispatchResponse>;

/**
 * Where the daemon answers: its unix socket, a URL (with a token), or `dispatch`, a function that
 * hands each request to a server in the same process (the daemon's own MCP endpoint uses it, so
 * its tools pass through the same routes, auth and audit as any client).
 */
export type Endpoint = { socketPath: string } | { url: string; token?: string } | { dispatch: Dispatch };

export type SessionAction = 'pause' | 'resume' | 'stop' | 'start' | 'restart' | 'cancel';

type RawResponse = DispatchResponse;

const enc = encodeURIComponent;

/** Typed client for berth's REST API, over the daemon's unix socket or TCP. */
export class BerthClient {
  constructor(private readonly endpoint: Endpoint) {}

  private open(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<RawResponse> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const h: Record<string, string> = { ...headers };
    if (payload) {
      h['content-type'] = 'application/json';
      h['content-length'] = String(payload.length);
    }
    if ('dispatch' in this.endpoint) {
      return this.endpoint.dispatch({ method, path, headers: h, ...(payload ? { body: payload } : {}) });
    }
    let target: { socketPath?: string; host?: string; port?: number | string };
    if ('socketPath' in this.endpoint) {
      target = { socketPath: this.endpoint.socketPath };
    } else {
      const u = new URL(this.endpoint.url);
      target = { host: u.hostname, port: u.port || 80 };
      if (this.endpoint.token) h.authorization = `Bearer ${this.endpoint.token}`;
    }
    return new Promise((resolve, reject) => {
      const req = httpRequest({ ...target, method, path, headers: { host: 'localhost', ...h } }, (res) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  private async readAll(res: RawResponse): Promise<string> {
    const parts: Buffer[] = [];
    for await (const c of res.body) parts.push(c as Buffer);
    return Buffer.concat(parts).toString('utf8');
  }

  private async json<T>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<T> {
    const res = await this.open(method, path, body, headers);
    const text = await this.readAll(res);
    if (res.status >= 400) throw ApiError.fromText(res.status, text);
    return (text ? JSON.parse(text) : undefined) as T;
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
    const text = await this.readAll(res);
    if (res.status >= 400) throw ApiError.fromText(res.status, text);
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

  me(): Promise<{ kind: 'local' | 'user'; user: User | null; via: string }> {
    return this.json('GET', `${API_PREFIX}/auth/me`);
  }

  health(): Promise<Health> {
    return this.json('GET', '/health');
  }

  daemonInfo(): Promise<DaemonInfo> {
    return this.json('GET', `${API_PREFIX}/daemon`);
  }

  async listSessions(): Promise<Session[]> {
    return (await this.json<{ sessions: Session[] }>('GET', `${API_PREFIX}/sessions`)).sessions;
  }

  getSession(name: string): Promise<Session> {
    return this.json('GET', `${API_PREFIX}/sessions/${enc(name)}`);
  }

  /** Creates a session, reporting each step to `onProgress` as the server makes it. */
  async createSession(req: CreateSessionRequest, onProgress?: (step: string) => void): Promise<Session> {
    const res = await this.open('POST', `${API_PREFIX}/sessions`, req, { accept: 'application/x-ndjson' });
    if (res.status >= 400) throw ApiError.fromText(res.status, await this.readAll(res));
    let buf = '';
    for await (const chunk of res.body) {
      buf += (chunk as Buffer).toString('utf8');
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const line = JSON.parse(buf.slice(0, nl)) as CreateProgressLine;
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if ('progress' in line) onProgress?.(line.progress);
        else if ('session' in line) return line.session;
        else throw new ApiError(line.problem as Problem, (line.problem as Problem).status);
      }
    }
    throw new Error('the daemon ended the create stream without an answer');
  }

  /** Rename, describe, change limits or the idle policy (`PATCH /api/v1/sessions/:name`). */
  updateSession(name: string, change: Static<typeof PatchSessionRequest>): Promise<Session> {
    return this.json('PATCH', `${API_PREFIX}/sessions/${enc(name)}`, change);
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
    stdin?: Buffer,
  ): Promise<{ exitCode: number; stdout: Buffer; stderr: Buffer; truncated: boolean }> {
    const r = await this.json<ExecResponse>('POST', `${API_PREFIX}/sessions/${enc(name)}/exec`, {
      cmd,
      ...(stdin ? { stdin: stdin.toString('base64') } : {}),
    });
    return {
      exitCode: r.exitCode,
      stdout: Buffer.from(r.stdout, 'base64'),
      stderr: Buffer.from(r.stderr, 'base64'),
      truncated: r.truncated === true,
    };
  }

  async logs(name: string, opts: { tail?: number; follow?: boolean }): Promise<Readable> {
    const q = new URLSearchParams();
    if (opts.tail !== undefined) q.set('tail', String(opts.tail));
    if (opts.follow) q.set('follow', 'true');
    const res = await this.open('GET', `${API_PREFIX}/sessions/${enc(name)}/logs?${q}`);
    if (res.status >= 400) throw ApiError.fromText(res.status, await this.readAll(res));
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
  shell(name: string, size: { cols: number; rows: number }): WebSocket {
    return this.websocket(`${API_PREFIX}/sessions/${enc(name)}/shell?cols=${size.cols}&rows=${size.rows}`);
  }

  /** The agent's own terminal (its tmux session): like `shell`; closing it leaves the agent running. */
  attach(name: string, size: { cols: number; rows: number }): WebSocket {
    return this.websocket(`${API_PREFIX}/sessions/${enc(name)}/attach?cols=${size.cols}&rows=${size.rows}`);
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
  events(): WebSocket {
    return this.websocket(`${API_PREFIX}/events`);
  }

  private websocket(path: string): WebSocket {
    if ('dispatch' in this.endpoint)
      throw new Error('WebSockets need a socket or URL endpoint, not dispatch');
    if ('socketPath' in this.endpoint) return new WebSocket(`ws+unix://${this.endpoint.socketPath}:${path}`);
    const u = new URL(path, this.endpoint.url.replace(/^http/, 'ws'));
    const headers: Record<string, string> = this.endpoint.token
      ? { authorization: `Bearer ${this.endpoint.token}` }
      : {};
    return new WebSocket(u, { headers });
  }
}

function cookieHeaders(auth: { cookie: string; csrfToken: string }): Record<string, string> {
  return { cookie: auth.cookie, 'x-berth-csrf': auth.csrfToken };
}
