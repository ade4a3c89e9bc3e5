import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import {
  createServer,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { HOP_BY_HOP } from '../http/hop-by-hop.js';
import type { Logger } from '../logger.js';
import type { Secrets } from '../secrets/secrets.js';
import type { SeededAgent } from './agent-seeds.js';

/**
 * The key broker: a session's agent never holds its model API key. It gets a placeholder (one per
 * session and key, useless anywhere but here) and a base URL that points at this server; berth
 * puts the real key in as it forwards the request to the vendor (or a team's gateway).
 *
 *   agent ──placeholder──▶ broker (on the session network's gateway) ──real key──▶ upstream
 *
 * The placeholder names its session and carries an HMAC of (session, key name) under a secret
 * only the daemon holds, so a session can neither forge another's nor learn anything from its own.
 * Where a request goes is the daemon's choice alone (BERTH_ANTHROPIC_BASE_URL and the like, or the
 * profile's own base URL variable from the config file): nothing a session sends can redirect the
 * real key.
 */

export type ModelVendor = 'anthropic' | 'openai' | 'gemini';
export const MODEL_VENDORS: readonly ModelVendor[] = ['anthropic', 'openai', 'gemini'];

/** The keys the broker stands in for, by seeded CLI: each is pointed at the broker's base URL. */
export const BROKERED_KEYS: Record<SeededAgent, Readonly<Record<string, ModelVendor>>> = {
  claude: { ANTHROPIC_API_KEY: 'anthropic', CLAUDE_CODE_OAUTH_TOKEN: 'anthropic' },
  codex: { OPENAI_API_KEY: 'openai' },
  gemini: { GEMINI_API_KEY: 'gemini' },
  // Its Anthropic provider is the one berth points at a base URL (agent-seeds).
  opencode: { ANTHROPIC_API_KEY: 'anthropic' },
};

/** The request headers a placeholder may come in, and how the real key goes back in. */
const CREDENTIAL_HEADERS: Record<string, (key: string) => string> = {
  'x-api-key': (key) => key,
  authorization: (key) => `Bearer ${key}`,
  'x-goog-api-key': (key) => key,
};

const PLACEHOLDER_RE =
  /berth-key-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-([0-9a-f]{40})/;
const SECRET_SCOPE = 'broker';
const SECRET_NAME = 'hmac';
const PORT_FILE = 'key-broker-port';

/** The real key and where to send it, for a session's placeholder; null when it is not (or no longer) valid. */
export type BrokerResolver = (
  sessionId: string,
  keyName: string,
  vendor: ModelVendor,
) => Promise<{ key: string; upstream: string } | null>;

export interface KeyBrokerDeps {
  secrets: Secrets;
  /** BERTH_HOME: the port is kept there, so base URLs in running sessions stay right across restarts. */
  home: string;
  logger: Logger;
  resolve: BrokerResolver;
  /** The key names the broker may stand in for, by vendor (BROKERED_KEYS by default). */
  keyNames?: (vendor: ModelVendor) => string[];
}

export class KeyBroker {
  private server: Server | null = null;
  private starting: Promise<string | null> | null = null;
  private secret: Buffer | null = null;
  private origin: string | null = null;
  // Upstream connections are kept open between turns, as the agent itself would keep them.
  private readonly agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 64 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }),
  };

  constructor(private readonly deps: KeyBrokerDeps) {}

  /**
   * Listens on `host` (the session network's gateway: where containers reach this machine) and
   * returns the broker's origin, or null when it cannot listen there (an engine on another
   * machine): sessions then get their keys as files, the weaker mode `berth auth status` names.
   */
  start(host: string): Promise<string | null> {
    this.starting ??= this.listen(host).catch((err: unknown) => {
      this.deps.logger.warn(
        { err, host },
        'the key broker cannot listen on the session network: agents get their API keys as files',
      );
      this.starting = null;
      return null;
    });
    return this.starting;
  }

  /**
   * Serves a connection that reached the broker another way (a filtered session's, through
   * berth's relay), the bytes already read first. Refused while the broker is not started.
   */
  accept(socket: Socket, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (head.length) socket.unshift(head);
    this.httpServer().emit('connection', socket);
  }

  /** The broker's HTTP server, listening or not (a relay's connections need no listener). */
  private httpServer(): Server {
    if (this.server) return this.server;
    const server = createServer((req, res) => void this.handle(req, res));
    // The agent holds a stream open for as long as the model answers.
    server.requestTimeout = 0;
    server.headersTimeout = 30_000;
    this.server = server;
    return server;
  }

  /** http://HOST:PORT once started, else null. */
  get url(): string | null {
    return this.origin;
  }

  /** The base URL a session's CLI of `vendor` is given. */
  baseUrl(vendor: ModelVendor): string {
    if (!this.origin) throw new Error('the key broker is not started');
    return `${this.origin}/${vendor}`;
  }

  /** What the session holds instead of `keyName`. */
  async placeholder(sessionId: string, keyName: string): Promise<string> {
    return `berth-key-${sessionId}-${this.mac(await this.key(), sessionId, keyName)}`;
  }

  /** Notes that the session was made to talk to the broker (its base URLs point here). */
  async enrol(sessionId: string): Promise<void> {
    await this.deps.secrets.put(SECRET_SCOPE, `session:${sessionId}`, '1');
  }

  /**
   * Whether the session was made with brokered keys: one made before the broker (or where it
   * could not listen) has the vendor's base URL baked in, so it keeps its keys as files.
   */
  async enrolled(sessionId: string): Promise<boolean> {
    return (await this.deps.secrets.get(SECRET_SCOPE, `session:${sessionId}`)) !== null;
  }

  async forget(sessionId: string): Promise<void> {
    await this.deps.secrets.delete(SECRET_SCOPE, `session:${sessionId}`);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.starting = null;
    this.origin = null;
    this.agents.http.destroy();
    this.agents.https.destroy();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async listen(host: string): Promise<string> {
    await this.key();
    const portFile = join(this.deps.home, PORT_FILE);
    const kept = Number((await readFile(portFile, 'utf8').catch(() => '')).trim());
    const server = this.httpServer();
    const tryPort = (port: number) =>
      new Promise<number>((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        server.once('error', onError);
        server.listen({ host, port, exclusive: true }, () => {
          server.off('error', onError);
          resolve((server.address() as AddressInfo).port);
        });
      });
    let port: number;
    try {
      port = await tryPort(Number.isInteger(kept) && kept > 0 && kept < 65536 ? kept : 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      // Someone else has it now: sessions made before this start must be made again to reach the broker.
      this.deps.logger.warn({ port: kept }, 'the key broker port is taken; listening on another one');
      port = await tryPort(0);
    }
    if (port !== kept) await writeFile(portFile, `${port}\n`, { mode: 0o600 });
    this.server = server;
    this.origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    this.deps.logger.info({ url: this.origin }, 'key broker listening');
    return this.origin;
  }

  private async key(): Promise<Buffer> {
    if (this.secret) return this.secret;
    let secret = await this.deps.secrets.get(SECRET_SCOPE, SECRET_NAME);
    if (!secret || secret.length < 32) {
      secret = randomBytes(32);
      await this.deps.secrets.put(SECRET_SCOPE, SECRET_NAME, secret);
    }
    this.secret = secret;
    return secret;
  }

  private mac(secret: Buffer, sessionId: string, keyName: string): string {
    return createHmac('sha256', secret).update(`${sessionId}\0${keyName}`).digest('hex').slice(0, 40);
  }

  private keyNames(vendor: ModelVendor): string[] {
    if (this.deps.keyNames) return this.deps.keyNames(vendor);
    const names = new Set<string>();
    for (const keys of Object.values(BROKERED_KEYS)) {
      for (const [name, v] of Object.entries(keys)) if (v === vendor) names.add(name);
    }
    return [...names];
  }

  /** Which of the session's keys a placeholder stands for; null for anything not made by placeholder(). */
  private async identify(
    text: string,
    vendor: ModelVendor,
  ): Promise<{ sessionId: string; keyName: string } | null> {
    const m = PLACEHOLDER_RE.exec(text);
    if (!m) return null;
    const [, sessionId, mac] = m as unknown as [string, string, string];
    const secret = await this.key();
    const given = Buffer.from(mac, 'hex');
    for (const keyName of this.keyNames(vendor)) {
      const want = Buffer.from(this.mac(secret, sessionId, keyName), 'hex');
      if (want.length === given.length && timingSafeEqual(want, given)) return { sessionId, keyName };
    }
    return null;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => {});
    req.on('error', () => res.destroy());
    try {
      const raw = req.url ?? '/';
      const slash = raw.indexOf('/', 1);
      const vendor = (slash === -1 ? raw.slice(1).split('?')[0] : raw.slice(1, slash)) as ModelVendor;
      if (!MODEL_VENDORS.includes(vendor)) return refuse(res, 404, 'no such model API here');
      const rest = slash === -1 ? raw.slice(1 + vendor.length) : raw.slice(slash);
      const [path = '', query = ''] = splitQuery(rest);
      if (path.split('/').some((seg) => seg === '.' || seg === '..' || /%2e|%2f|%5c/i.test(seg))) {
        return refuse(res, 400, 'a path with dot segments or escaped slashes is not forwarded');
      }
      const found = await this.findPlaceholder(req.headers, query, vendor);
      if (!found) return refuse(res, 401, 'no berth key placeholder of this session in the request');
      const target = await this.deps.resolve(found.sessionId, found.keyName, vendor);
      if (!target) return refuse(res, 401, 'this placeholder is not valid (any more)');
      const headers: OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || HOP_BY_HOP.has(name) || name === 'host') continue;
        headers[name] = value;
      }
      if (found.header) headers[found.header] = CREDENTIAL_HEADERS[found.header]!(target.key);
      const upstream = new URL(target.upstream);
      const base = upstream.pathname.replace(/\/+$/, '');
      const params = new URLSearchParams(query);
      if (found.query) params.set('key', target.key);
      const search = params.toString();
      const url = new URL(`${upstream.origin}${base}${path}${search ? `?${search}` : ''}`);
      const https = url.protocol === 'https:';
      const send = https ? httpsRequest : httpRequest;
      const agent = https ? this.agents.https : this.agents.http;
      const out = send(url, { method: req.method, headers, agent }, (answer) => {
        const back: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(answer.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'host') back[name] = value;
        }
        res.writeHead(answer.statusCode ?? 502, back);
        answer.pipe(res);
        answer.on('error', () => res.destroy());
      });
      out.on('error', (err) => {
        this.deps.logger.warn({ err: err.message, upstream: upstream.origin }, 'key broker upstream failed');
        if (!res.headersSent) refuse(res, 502, `the model API at ${upstream.origin} did not answer`);
        else res.destroy();
      });
      res.on('close', () => out.destroy());
      req.pipe(out);
    } catch (err) {
      this.deps.logger.warn({ err }, 'key broker request failed');
      if (!res.headersSent) refuse(res, 500, 'the key broker failed on this request');
      else res.destroy();
    }
  }

  private async findPlaceholder(
    headers: IncomingHttpHeaders,
    query: string,
    vendor: ModelVendor,
  ): Promise<{ sessionId: string; keyName: string; header?: string; query?: true } | null> {
    for (const header of Object.keys(CREDENTIAL_HEADERS)) {
      const value = headers[header];
      if (typeof value !== 'string') continue;
      const found = await this.identify(value, vendor);
      if (found) return { ...found, header };
    }
    const key = new URLSearchParams(query).get('key');
    if (key) {
      const found = await this.identify(key, vendor);
      if (found) return { ...found, query: true };
    }
    return null;
  }
}

function splitQuery(rest: string): [string, string] {
  const q = rest.indexOf('?');
  return q === -1 ? [rest, ''] : [rest.slice(0, q), rest.slice(q + 1)];
}

function refuse(res: ServerResponse, status: number, message: string): void {
  const body = JSON.stringify({ type: 'error', error: { type: 'berth_key_broker', message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
