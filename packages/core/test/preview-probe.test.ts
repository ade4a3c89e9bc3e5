import { createServer } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { answersHttp } from '../src/previews/preview-manager.js';

describe('the preview readiness probe', () => {
  it('takes the status line of a dev server whose body never ends, and hangs up', async () => {
    let closed = false;
    let sent = 0;
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 0x78);
      const pump = setInterval(() => {
        sent += chunk.length;
        res.write(chunk);
      }, 1);
      req.socket.on('close', () => {
        closed = true;
        clearInterval(pump);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as AddressInfo).port;
    expect(await answersHttp({ port, dial: () => connect(port, '127.0.0.1') })).toBe(true);
    for (let i = 0; i < 50 && !closed; i++) await new Promise((r) => setTimeout(r, 20));
    expect(closed, `the probe was still reading after ${sent} bytes`).toBe(true);
  });
});
