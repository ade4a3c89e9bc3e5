import type { Transport, TransportRequest, TransportResponse } from '@berth/api';
import { ApiError } from './api-error';
import type { CsrfToken } from './csrf-token';

export interface FetchTransportOptions {
  csrf: CsrfToken;
  /** The seam tests fake; the browser's own by default. */
  fetch?: typeof fetch;
  /** Opens `socket(path)`; the browser's own by default. */
  WebSocket?: typeof WebSocket;
  /** Told when the server says the login has ended (401), so the app can ask for it again. */
  onUnauthorized?: (err: ApiError) => void;
}

const SAFE = new Set(['GET', 'HEAD']);

/** `ws(s)://` on this page's own host: the server checks the Origin, the browser sends the cookie. */
export function webSocketUrl(path: string, base: string = globalThis.location.href): string {
  const u = new URL(path, base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

/**
 * berth's API from the browser: same origin, the login cookie, and the CSRF header on changes.
 * A server that does not answer is an ApiError (`network`); a 401 tells `onUnauthorized` first.
 */
export class FetchTransport implements Transport<WebSocket> {
  private readonly fetchFn: typeof fetch;
  onUnauthorized: ((err: ApiError) => void) | undefined;

  constructor(private readonly opts: FetchTransportOptions) {
    this.fetchFn = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.onUnauthorized = opts.onUnauthorized;
  }

  async request(req: TransportRequest): Promise<TransportResponse> {
    const { method, path, body } = req;
    const h: Record<string, string> = { accept: 'application/json', ...req.headers };
    const csrf = this.opts.csrf.get();
    if (!SAFE.has(method) && csrf) h['x-berth-csrf'] = csrf;
    let res: Response;
    try {
      res = await this.fetchFn(path, {
        method,
        headers: h,
        credentials: 'same-origin',
        ...(body !== undefined ? { body } : {}),
      });
    } catch (err) {
      throw ApiError.unreachable(err);
    }
    const headers = Object.fromEntries(res.headers.entries());
    // A failed login is a wrong password, not an ended one.
    if (res.status === 401 && !path.endsWith('/auth/login')) {
      const text = await res.text().catch(() => '');
      this.onUnauthorized?.(ApiError.fromText(res.status, text));
      return { status: res.status, headers, body: once(new TextEncoder().encode(text)) };
    }
    return { status: res.status, headers, body: chunksOf(res.body) };
  }

  socket(path: string): WebSocket {
    return new (this.opts.WebSocket ?? globalThis.WebSocket)(webSocketUrl(path));
  }
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** A fetch body as it arrives (not every browser iterates a ReadableStream itself yet). */
async function* chunksOf(body: ReadableStream<Uint8Array> | null): AsyncGenerator<Uint8Array> {
  if (!body) return;
  const reader = body.getReader();
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      yield next.value;
    }
    done = true;
  } finally {
    // A caller that stops early (the create stream's answer came) lets the rest go.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
