import { execFileSync } from 'node:child_process';
import {
  BUSYBOX_IMAGE,
  containersOf,
  docker,
  httpGet,
  makeRepo,
  SESSION_IMAGE,
  testConfig,
  testCore,
} from '@berth/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import type { SessionEvent } from '../src/index.js';
import { hostPortFree, loadConfig, openCore, PreviewError, SESSION_CA_PATH } from '../src/index.js';

const HTTPD = { command: ['httpd', '-f', '-p', '8080'], port: 8080 };

async function inBatches<T>(items: T[], size: number, work: (item: T) => Promise<unknown>) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(work));
}

describe('previews against the real engine', () => {
  it('20 previews get 20 distinct host ports that answer, kept across a daemon restart; stop frees one', async () => {
    const config = testConfig({ maxRunningSessions: 25, portRange: { from: 7300, to: 7499 } });
    const repo = makeRepo({ 'index.html': '<h1>hello from the session</h1>\n' });
    const first = await openCore(config);
    let firstOpen = true;
    onTestFinished(async () => {
      if (firstOpen) await first.close();
    });
    const names = Array.from({ length: 20 }, (_, i) => `web-${i}`);
    await inBatches(names, 5, (name) => first.service.create({ name, repo, preview: HTTPD }));

    const sessions = await first.service.list();
    const ports = sessions.map((s) => s.preview?.hostPort);
    expect(sessions.every((s) => s.kind === 'preview' && s.preview?.ready === true)).toBe(true);
    expect(new Set(ports).size).toBe(20);
    expect(ports.every((p) => typeof p === 'number' && p >= 7300 && p <= 7499)).toBe(true);
    expect((await first.ports.leases()).map((l) => l.port).sort()).toEqual([...ports].sort());
    for (const port of ports) expect((await httpGet(port!))?.body).toContain('hello from the session');

    // The daemon goes away: its listeners with it. A new one on the same BERTH_HOME opens the same ports.
    await first.close();
    firstOpen = false;
    expect(await httpGet(ports[0]!)).toBeNull();
    const second = await openCore(config);
    onTestFinished(() => second.close());
    await second.startWatching();
    const again = new Map((await second.service.list()).map((s) => [s.name, s.preview?.hostPort]));
    for (const s of sessions) expect(again.get(s.name)).toBe(s.preview?.hostPort);
    for (const port of ports) expect((await httpGet(port!))?.status).toBe(200);

    // Stop frees the port (lease and listener); start leases one again and the dev server comes back.
    const victim = sessions[0]!;
    const stopped = await second.service.stop(victim.name);
    expect(stopped.preview?.hostPort).toBeNull();
    expect((await second.ports.leases()).some((l) => l.sessionId === victim.id)).toBe(false);
    expect(await hostPortFree(victim.preview!.hostPort!)).toBe(true);
    const started = await second.service.start(victim.name);
    expect(started.preview?.hostPort).toEqual(expect.any(Number));
    expect(started.preview?.ready).toBe(true);
    expect((await httpGet(started.preview!.hostPort!))?.body).toContain('hello from the session');

    // Cancel and remove give ports back too.
    await second.service.cancel(names[1]!);
    await second.service.remove(names[2]!, { force: true });
    const left = (await second.ports.leases()).map((l) => l.sessionId);
    expect(left).toHaveLength(18);
    expect(left).not.toContain(sessions.find((s) => s.name === names[1])!.id);
  }, 240_000);

  it('a dev server that never answers fails the create and leaves no session, container, lease or listener', async () => {
    const core = await testCore({ previewReadySeconds: 2, portRange: { from: 7500, to: 7509 } });
    const repo = makeRepo({ 'index.html': 'x' });
    const err = await core.service
      .create({ name: 'mute', repo, preview: { command: ['sleep', '600'], port: 8080 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreviewError);
    expect((err as PreviewError).message).toMatch(/did not answer on port 8080 within 2 s/);
    expect((err as PreviewError).hint).toContain('/tmp/berth-preview.log');
    expect(await core.service.list()).toHaveLength(0);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(await core.ports.leases()).toHaveLength(0);
    for (let p = 7500; p <= 7509; p++) expect(await hostPortFree(p)).toBe(true);
  });

  it('a dev server that exits at once fails fast with its log', async () => {
    const core = await testCore({ previewReadySeconds: 60 });
    const repo = makeRepo({ 'index.html': 'x' });
    const started = Date.now();
    const err = await core.service
      .create({
        name: 'crash',
        repo,
        preview: { command: ['sh', '-c', 'echo cannot bind the port >&2; exit 1'], port: 8080 },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PreviewError);
    expect((err as Error).message).toMatch(/exited before it answered: cannot bind the port/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await core.service.list()).toHaveLength(0);
    expect(await core.ports.leases()).toHaveLength(0);
  });

  it('a project berth cannot recognise is refused with a hint, and nothing is left', async () => {
    const core = await testCore();
    const repo = makeRepo({ 'notes.txt': 'nothing to serve' });
    const err = await core.service.create({ name: 'plain', repo, preview: true }).catch((e: unknown) => e);
    expect((err as { code: string }).code).toBe('invalid_input');
    expect((err as { hint: string }).hint).toContain('--preview-command');
    expect(await core.service.list()).toHaveLength(0);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    const bad = await core.service
      .create({ name: 'badport', repo, preview: { port: 70000 } })
      .catch((e: unknown) => e);
    expect((bad as { code: string }).code).toBe('invalid_input');
  });

  it('health checks see a dead dev server; a restart brings it back; a container killed outside berth gives its port back', async () => {
    const core = await testCore({ portRange: { from: 7520, to: 7529 } });
    await core.startWatching();
    const events: SessionEvent[] = [];
    core.events.subscribe((e) => events.push(e));
    const s = await core.service.create({
      name: 'health',
      repo: makeRepo({ 'index.html': 'up' }),
      preview: HTTPD,
    });
    const port = s.preview!.hostPort!;

    const killed = await core.service.exec('health', [
      'sh',
      '-c',
      'kill -TERM "-$(cat /tmp/berth-preview.pid)"',
    ]);
    expect(killed.exitCode, killed.stderr.toString()).toBe(0);
    await core.previews.checkAll();
    expect((await core.service.get('health')).preview?.ready).toBe(false);
    expect(events.some((e) => e.type === 'session.updated' && e.session.preview?.ready === false)).toBe(true);

    const again = await core.service.startPreview('health');
    expect(again.preview).toMatchObject({ hostPort: port, ready: true });
    expect((await httpGet(port))?.body).toBe('up');
    // Restarting a live one ends the old server first (same port inside), then answers again.
    expect((await core.service.startPreview('health')).preview?.ready).toBe(true);
    const pids = await core.service.exec('health', ['sh', '-c', 'ps | grep -c "[h]ttpd -f"']);
    expect(pids.stdout.toString().trim()).toBe('1');

    // A container restart kills the dev server: berth runs it again on the same leased port.
    const restarted = await core.service.restart('health');
    expect(restarted.preview).toMatchObject({ hostPort: port, ready: true });
    expect((await httpGet(port))?.body).toBe('up');

    await docker.getContainer(s.containerId!).kill();
    await vi.waitFor(
      async () => {
        const now = await core.service.get('health');
        expect(now.status).toBe('stopped');
        expect(now.preview?.hostPort).toBeNull();
        expect(await core.ports.leases()).toHaveLength(0);
      },
      { timeout: 20_000, interval: 200 },
    );
    expect(await hostPortFree(port)).toBe(true);
  });

  it('detects a static site and serves it with the image’s own tools', async () => {
    const core = await testCore();
    const repo = makeRepo({ 'index.html': '<p>static</p>\n' });
    const s = await core.service.create({ name: 'site', repo, preview: true });
    expect(s.preview).toMatchObject({ projectType: 'static', containerPort: 8080, ready: true });
    expect(s.preview?.command.slice(0, 2)).toEqual(['busybox', 'httpd']);
    expect((await httpGet(s.preview!.hostPort!))?.body).toContain('static');
  });
});

describe('CA certificates and proxy variables handed to sessions', () => {
  it("a session on the session image reaches the npm registry through the host's CA bundle", async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const s = await core.service.create({ name: 'trust', repo: makeRepo() });
    const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim();
    const r = await core.service.exec(s.name, [
      'sh',
      '-c',
      'echo "$NODE_EXTRA_CA_CERTS $SSL_CERT_FILE $GIT_SSL_CAINFO $REQUESTS_CA_BUNDLE $CURL_CA_BUNDLE"; ' +
        'test -r "$CURL_CA_BUNDLE" && ! test -w "$CURL_CA_BUNDLE" && curl -sS -o /dev/null -w "%{http_code}" -I "$1"',
      'sh',
      registry,
    ]);
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    const [vars, status] = r.stdout.toString().trim().split('\n');
    expect(vars).toBe(Array(5).fill(SESSION_CA_PATH).join(' '));
    expect(Number(status)).toBeGreaterThanOrEqual(200);
  });

  it('BERTH_CA_BUNDLE=none hands no bundle; proxy variables are inherited unless BERTH_SESSION_PROXY=none or the session is filtered', async () => {
    const proxyEnv = { HTTPS_PROXY: 'http://proxy.invalid:3128', no_proxy: 'localhost' };
    // Unfiltered (BERTH_EGRESS=off): the daemon's proxy variables.
    const core = await testCore({
      caBundle: 'none',
      egressMode: 'off',
      sessionProxyEnv: loadConfig({ BERTH_HOME: '/unused', ...proxyEnv }).sessionProxyEnv,
    });
    const s = await core.service.create({ name: 'proxied', repo: makeRepo(), image: BUSYBOX_IMAGE });
    const r = await core.service.exec(s.name, ['sh', '-c', 'env | sort; ls /etc/berth 2>&1 || true']);
    const out = r.stdout.toString();
    expect(out).toContain('HTTPS_PROXY=http://proxy.invalid:3128');
    expect(out).toContain('no_proxy=localhost');
    expect(out).not.toContain('SSL_CERT_FILE');
    // A filtered session's one way out is berth's relay: its proxy variables win over the daemon's.
    const filtered = await core.service.create({
      name: 'filtered',
      repo: makeRepo(),
      image: BUSYBOX_IMAGE,
      egress: 'allowlist',
    });
    const env = (await core.service.exec(filtered.name, ['env'])).stdout.toString();
    expect(env).toContain('HTTPS_PROXY=http://berth-relay:3128');
    expect(env).toContain('no_proxy=localhost,127.0.0.1,::1,berth-relay');
    expect(env).not.toContain('proxy.invalid');
    expect(
      loadConfig({ BERTH_HOME: '/x', BERTH_SESSION_PROXY: 'none', ...proxyEnv }).sessionProxyEnv,
    ).toEqual({});
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_SESSION_PROXY: 'sometimes' })).toThrow(
      /inherit or none/,
    );
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_CA_BUNDLE: 'relative.crt' })).toThrow(/absolute path/);
  });
});
