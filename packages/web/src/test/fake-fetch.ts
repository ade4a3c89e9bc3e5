/**
 * A fake `fetch`: the seam between the dashboard and the server in component tests. Each route
 * ("METHOD /path?query") answers with a function of the request; routes not listed answer 404 as
 * the server would. Every call is recorded so a test can check what was sent.
 */
export type FakeRoute = (req: {
  body: unknown;
  headers: Record<string, string>;
}) => Response | Promise<Response>;

export interface FakeFetch {
  fetch: typeof fetch;
  calls: { method: string; url: string; body: unknown; headers: Record<string, string> }[];
  /** Adds or replaces routes after the start. */
  route(key: string, answer: FakeRoute): void;
}

export function fakeFetch(routes: Record<string, FakeRoute>): FakeFetch {
  const table = new Map(Object.entries(routes));
  const calls: FakeFetch['calls'] = [];
  const fetchFn = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    const method = init?.method ?? 'GET';
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : undefined;
    calls.push({ method, url, body, headers });
    const answer = table.get(`${method} ${url}`) ?? table.get(`${method} ${url.split('?')[0]}`);
    if (!answer) return problem(404, 'not_found', `no route ${method} ${url}`);
    return answer({ body, headers });
  };
  return { fetch: fetchFn as typeof fetch, calls, route: (key, answer) => table.set(key, answer) };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function problem(status: number, code: string, detail: string, hint?: string): Response {
  const body = {
    type: `urn:berth:problem:${code}`,
    title: code,
    status,
    detail,
    code,
    ...(hint ? { hint } : {}),
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });
}

/** An answer that never comes: the view stays in its loading state. */
export const pending: FakeRoute = () => new Promise<Response>(() => undefined);

/** An ndjson body sent line by line, as the create stream is. */
export function ndjson(lines: unknown[]): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const line of lines) controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
      controller.close();
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'application/x-ndjson' } });
}
