import { request } from 'node:http';
import { BUSYBOX_IMAGE, makeRepo, testCore } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// A preview's direct host port, 127.0.0.1:PORT (security review F4, F10). A dashboard on
// 127.0.0.1:BERTH_PORT shares its cookies with every port of 127.0.0.1 (cookies ignore ports),
// and any web page can rebind a name of its own to 127.0.0.1. The dev server is the session's,
// so it is hostile: it must never see berth's cookies or tokens, and no other site may read it.

function send(
  port: number,
  headers: Record<string, string>,
  method = 'GET',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', method, headers, timeout: 20_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function upgrade(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers });
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => resolve(101));
    ws.on('error', () => resolve(-1));
  });
}

describe("a preview's host port", () => {
  it("passes the page's own cookies but never berth's or a token; other Host names and other origins' changes never reach the dev server", async () => {
    const core = await testCore({ defaultImage: BUSYBOX_IMAGE });
    // A dev server that records each request's head in /tmp/req.log and answers "ok".
    const repo = makeRepo({
      'echo.sh':
        'while IFS= read -r line; do line=$(printf \'%s\' "$line" | tr -d \'\\r\'); [ -z "$line" ] && break; echo "$line" >> /tmp/req.log; done\n' +
        "printf 'HTTP/1.1 200 OK\\r\\nContent-Type: text/plain\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\nok'\n",
    });
    const s = await core.service.create({
      name: 'echo',
      repo,
      preview: { command: ['nc', '-ll', '-p', '8080', '-e', 'sh', '/workspace/echo.sh'], port: 8080 },
    });
    const port = s.preview!.hostPort!;
    const log = async () => (await core.service.exec('echo', ['cat', '/tmp/req.log'])).stdout.toString();

    // What the browser sends to 127.0.0.1:PORT when the dashboard is on 127.0.0.1 too.
    const ok = await send(port, {
      host: `127.0.0.1:${port}`,
      cookie: 'berth_session=berth_secret_login; berth_csrf=berth_csrf_value; app=kept',
      authorization: 'Bearer berth_secret_token',
    });
    expect(ok).toEqual({ status: 200, body: 'ok' });
    const seen = await log();
    expect(seen).toContain('app=kept');
    expect(seen).not.toContain('berth_secret');
    expect(seen).not.toContain('berth_csrf');
    expect(seen.toLowerCase()).not.toContain('authorization');
    // localhost is the same machine's name: it works too.
    expect((await send(port, { host: `localhost:${port}` })).status).toBe(200);

    // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1.
    const before = await log();
    const rebound = await send(port, { host: `evil.example:${port}` });
    expect(rebound.status).toBe(421);
    expect(rebound.body).toContain(`http://127.0.0.1:${port}/`);
    // Another site's page posting to the preview, or opening a WebSocket to it.
    const posted = await send(port, { host: `127.0.0.1:${port}`, origin: 'http://evil.example' }, 'POST');
    expect(posted.status).toBe(403);
    expect(await upgrade(port, { host: `127.0.0.1:${port}`, origin: 'http://evil.example' })).toBe(403);
    expect(await upgrade(port, { host: `evil.example:${port}`, origin: `http://evil.example:${port}` })).toBe(
      421,
    );
    expect(await log()).toBe(before);

    // The preview's own page may still post to it.
    const own = await send(port, { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` }, 'POST');
    expect(own.status).toBe(200);
  });
});
