import { request } from 'node:http';
import { createServer } from 'node:net';
import { makeRepo } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: u.port,
        path: `${u.pathname}${u.search}`,
        headers: { host: host ?? u.host },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

interface PreviewJson {
  projectType: string;
  hostPort: number;
  hostUrl: string;
  proxyUrl: string | null;
  proxyOrigin: string | null;
  ready: boolean | null;
}

describe('berth new --preview and berth preview', () => {
  it('runs the detected dev server, prints its host port and a link through the server', async () => {
    const tcp = await freePort();
    const berth = berthCli({ BERTH_PORT: String(tcp), BERTH_PORT_RANGE: '7600-7699' });
    const repo = makeRepo({ 'index.html': '<p>from the cli</p>\n' });
    const created = await berth.run('new', 'site', '--repo', repo, '--preview');
    expect(created.code, created.stderr).toBe(0);
    expect(created.stderr).toContain('waiting for the preview to answer');
    expect(created.stdout).toMatch(/preview \(static\) on http:\/\/127\.0\.0\.1:76\d\d\//);

    const p = await berth.json<PreviewJson>('preview', 'site');
    expect(p).toMatchObject({ projectType: 'static', ready: true });
    expect(p.hostUrl).toBe(`http://127.0.0.1:${p.hostPort}/`);
    expect((await get(p.hostUrl)).body).toContain('from the cli');
    expect(p.proxyOrigin).toBe(`http://site.preview.localhost:${tcp}/`);
    const signIn = await get(p.proxyUrl!);
    expect(signIn.status).toBe(303);

    const human = await berth.run('preview', 'site');
    expect(human.stdout).toContain(p.hostUrl);
    expect(human.stdout).toContain('/tmp/berth-preview.log');

    const custom = await berth.run(
      'new',
      'custom',
      '--repo',
      repo,
      '--preview-command',
      'httpd -f -p 9000',
      '--preview-port',
      '9000',
      '--json',
    );
    expect(custom.code, custom.stderr).toBe(0);
    const s = JSON.parse(custom.stdout) as {
      preview: { command: string[]; containerPort: number; hostPort: number };
    };
    expect(s.preview).toMatchObject({ command: ['sh', '-c', 'httpd -f -p 9000'], containerPort: 9000 });
    expect(s.preview.hostPort).not.toBe(p.hostPort);

    const none = await berth.run('preview', 'nosuch');
    expect(none.code).toBe(3);
    const badPort = await berth.run('new', 'bad', '--repo', repo, '--preview-port', '0');
    expect(badPort.code).toBe(2);
  }, 120_000);
});
