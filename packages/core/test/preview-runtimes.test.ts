// The default session image runs what --preview detects: Node.js (a Vite project, npm install from
// the registry through the host's CA) and Python; an image without the runtime is refused at create.
import { existsSync, readdirSync } from 'node:fs';
import { BUSYBOX_IMAGE, containersOf, git, httpGet, makeRepo, SESSION_IMAGE, testCore } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { SESSION_NODE_VERSION } from '../src/images/session-node.js';
import { hostPortFree, InvalidInput } from '../src/index.js';

describe('the default session image runs what berth detects', () => {
  it(`a session on ${SESSION_IMAGE} has Node.js ${SESSION_NODE_VERSION} with npm, and Python 3`, async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const s = await core.service.create({ name: 'runtimes', repo: makeRepo() });
    const r = await core.service.exec(s.name, [
      'sh',
      '-c',
      'node --version && npm --version && npx --version && python3 --version',
    ]);
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    const [node, npm, npx, python] = r.stdout.toString().trim().split('\n');
    expect(node).toBe(`v${SESSION_NODE_VERSION}`);
    expect(npm).toMatch(/^11\.\d+\.\d+$/);
    expect(npx).toBe(npm);
    expect(python).toMatch(/^Python 3\.\d+/);
  });

  it('--preview on a Vite project installs it from the registry and answers over HTTP', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE, previewReadySeconds: 120 });
    const repo = makeRepo({
      'package.json': JSON.stringify({
        name: 'demo',
        private: true,
        type: 'module',
        devDependencies: { vite: '^5.4.0' },
      }),
      '.gitignore': 'node_modules/\n',
      'index.html': '<!doctype html><html><body><h1>vite on the session image</h1></body></html>\n',
    });
    const steps: string[] = [];
    const s = await core.service.create({ name: 'vite', repo, preview: true }, (p) => steps.push(p));
    expect(steps).toContain('installing dependencies (npm install)');
    expect(s.image).toBe(SESSION_IMAGE);
    expect(s.preview).toMatchObject({ projectType: 'vite', containerPort: 5173, ready: true });
    const page = await httpGet(s.preview!.hostPort!, 10_000);
    expect(page?.status).toBe(200);
    expect(page?.body).toContain('vite on the session image');
  }, 240_000);

  it('--preview on a Python app.py runs it with python3 and answers over HTTP', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const repo = makeRepo({
      'app.py': [
        'import http.server, os',
        '',
        'class Hello(http.server.BaseHTTPRequestHandler):',
        '    def do_GET(self):',
        '        body = b"hello from python"',
        '        self.send_response(200)',
        '        self.send_header("Content-Length", str(len(body)))',
        '        self.end_headers()',
        '        self.wfile.write(body)',
        '',
        'http.server.HTTPServer(("0.0.0.0", int(os.environ["PORT"])), Hello).serve_forever()',
        '',
      ].join('\n'),
    });
    const s = await core.service.create({ name: 'py', repo, preview: true });
    expect(s.preview).toMatchObject({
      projectType: 'python',
      command: ['python3', 'app.py'],
      containerPort: 8000,
      ready: true,
    });
    expect(await httpGet(s.preview!.hostPort!, 10_000)).toEqual({ status: 200, body: 'hello from python' });
  }, 120_000);
});

describe('a detected project whose runtime the image lacks', () => {
  it('is refused at create, naming what is missing and the image to use, and leaves nothing behind', async () => {
    const core = await testCore({ defaultImage: BUSYBOX_IMAGE, portRange: { from: 7540, to: 7544 } });
    const repo = makeRepo({
      'package.json': JSON.stringify({ name: 'app', private: true, scripts: { dev: 'node server.js' } }),
      'server.js': 'require("node:http").createServer((q, s) => s.end("hi")).listen(3000);\n',
    });
    const started = Date.now();
    const err = await core.service.create({ name: 'nonode', repo, preview: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInput);
    const { message, hint } = err as InvalidInput;
    expect(message).toBe(
      `session 'nonode' runs image ${BUSYBOX_IMAGE}, which has no node or npm: the node project it found needs them`,
    );
    expect(hint).toContain(`--image ${SESSION_IMAGE}`);
    expect(hint).toContain('berth image build');
    // Refused on what detection saw, before any npm install was tried.
    expect(Date.now() - started).toBeLessThan(30_000);

    expect(await core.service.list()).toHaveLength(0);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(await core.ports.leases()).toHaveLength(0);
    for (let p = 7540; p <= 7544; p++) expect(await hostPortFree(p)).toBe(true);
    const dir = core.config.workspacesDir;
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');

    // A Python project on the same image: the same refusal, for python3.
    const py = await core.service
      .create({ name: 'nopy', repo: makeRepo({ 'main.py': 'print(1)\n' }), preview: true })
      .catch((e: unknown) => e);
    expect((py as InvalidInput).code).toBe('invalid_input');
    expect((py as InvalidInput).message).toMatch(
      /which has no python3: the python project it found needs it/,
    );
    expect(await core.service.list()).toHaveLength(0);
  });
});
