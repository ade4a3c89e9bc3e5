import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { docker, httpGet, makeRepo, SESSION_IMAGE, testConfig } from '@berth/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Core, LABEL_HOME, LABEL_ROLE, openCore } from '../src/index.js';

// The hostile-session suite with berth's own sessions, end to end through openCore and a real
// engine: each on a network of its own whose one way out is berth's relay and the daemon's
// egress proxy. From inside, a server on this machine's 0.0.0.0 (where berth's own ports are
// too), another session, the metadata address and a host off the list are refused, directly and
// through the proxy, while a real npm install from the allow-listed registry works (and with
// egress none fails); every decision is in the
// session's egress log; previews come in through the relay; the relay is found at the same
// address after the daemon starts again; and a network goes with its session, also when its
// create fails part-way.

const REGISTRY = new URL(execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim());

/** A service of this machine on all its addresses (its database, berth's own API…). */
const hostService = createServer((_req, res) => res.end('host secrets'));
let hostHits = 0;
hostService.on('request', () => hostHits++);
let hostPort = 0;
let bridgeGateway = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
  hostPort = (hostService.address() as AddressInfo).port;
  const bridge = await docker.getNetwork('bridge').inspect();
  bridgeGateway = bridge.IPAM?.Config?.[0]?.Gateway ?? '172.17.0.1';
});
afterAll(() => {
  hostService.close();
});

/** Runs a script in the session's container; never synchronously (the proxy is in this process). */
function sh(containerId: string, script: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      ['exec', containerId, 'sh', '-c', script],
      { timeout: 120_000 },
      (err, stdout, stderr) => {
        resolve({
          code: err ? (typeof err.code === 'number' ? err.code : -1) : 0,
          out: `${stdout}${stderr}`,
        });
      },
    );
  });
}

/** The status curl got (000: none), through the session's proxy or, with `direct`, past it. */
async function curl(containerId: string, url: string, direct = false): Promise<string> {
  const noproxy = direct ? "--noproxy '*'" : '';
  return (
    await sh(containerId, `curl -s -o /dev/null -m 8 -w '%{http_code}' ${noproxy} '${url}'`)
  ).out.trim();
}

async function networkExists(name: string): Promise<boolean> {
  return docker
    .getNetwork(name)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

describe('egress by default', { timeout: 120_000 }, () => {
  it('is allowlist; BERTH_EGRESS=off makes sessions unfiltered, on the shared network, and refuses --allow', async () => {
    const core = await openCore(testConfig());
    try {
      const s = await core.service.create({
        name: 'plain',
        repo: makeRepo(),
        allow: ['packages.example.org'],
      });
      expect(s.egress?.mode).toBe('allowlist');
      expect(s.egress?.allow).toEqual(expect.arrayContaining([REGISTRY.hostname, 'packages.example.org']));
    } finally {
      await core.close();
    }
    const off = await openCore(testConfig({}, { BERTH_EGRESS: 'off' }));
    try {
      const s = await off.service.create({ name: 'plain', repo: makeRepo() });
      expect(s.egress).toBeNull();
      const info = await docker.getContainer(s.containerId!).inspect();
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual([off.config.sessionNetwork]);
      await expect(
        off.service.create({ name: 'asks', repo: makeRepo(), allow: ['packages.example.org'] }),
      ).rejects.toMatchObject({ hint: expect.stringContaining('BERTH_EGRESS=allowlist') });
    } finally {
      await off.close();
    }
  });
});

describe('a filtered session', { timeout: 300_000 }, () => {
  it('reaches the allow-listed registry through berth’s proxy and nothing of this machine; every decision is logged; its network goes with it', async () => {
    const config = testConfig({ defaultImage: SESSION_IMAGE });
    const core = await openCore(config);
    try {
      // Another team's session, serving on its own network.
      const other = await core.service.create({ name: 'other', repo: makeRepo(), egress: 'open' });
      await core.service.exec('other', [
        'sh',
        '-c',
        `nohup node -e "require('http').createServer((q, r) => r.end('other session')).listen(8080)" >/dev/null 2>&1 &`,
      ]);
      const otherAddress = (await docker.getContainer(other.containerId!).inspect()).NetworkSettings.Networks[
        `berth-s-${other.id}`
      ]!.IPAddress;
      const s = await core.service.create({ name: 'filtered', repo: makeRepo(), egress: 'allowlist' });
      expect(s.egress?.mode).toBe('allowlist');
      expect(s.egress?.allow).toContain(REGISTRY.hostname);
      const info = await docker.getContainer(s.containerId!).inspect();
      expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`berth-s-${s.id}`]);
      expect(info.Config.Env).toContain('HTTPS_PROXY=http://berth-relay:3128');

      // Past the proxy there is no route at all: this machine, another session, metadata, the registry.
      for (const url of [
        `http://${bridgeGateway}:${hostPort}/`,
        `http://${otherAddress}:8080/`,
        'http://169.254.169.254/latest/meta-data/',
        `${REGISTRY.origin}/`,
      ]) {
        expect(await curl(s.containerId!, url, true), url).toBe('000');
      }
      // Through it: refused (an HTTPS tunnel refused leaves curl with no answer at all).
      for (const url of [
        `http://${bridgeGateway}:${hostPort}/`,
        `http://${otherAddress}:8080/`,
        'http://169.254.169.254/latest/meta-data/',
      ]) {
        expect(await curl(s.containerId!, url), url).toBe('403');
      }
      expect(await curl(s.containerId!, 'https://off-the-list.berth.test/')).toBe('000');
      expect(hostHits).toBe(0);
      // The registry, allow-listed by default: a real npm install through the proxy.
      const install = await sh(
        s.containerId!,
        'mkdir -p /tmp/p && cd /tmp/p && npm init -y >/dev/null && npm install --no-audit --no-fund is-number@7 && node -e "require(\'is-number\')"',
      );
      expect(install.code, install.out).toBe(0);

      const report = await core.egressLog.report(s.id);
      const seen = report.decisions.map((d) => `${d.host}:${d.port} ${d.allowed ? 'allowed' : 'refused'}`);
      expect(seen).toEqual(
        expect.arrayContaining([
          `${bridgeGateway}:${hostPort} refused`,
          `${otherAddress}:8080 refused`,
          '169.254.169.254:80 refused',
          'off-the-list.berth.test:443 refused',
          `${REGISTRY.hostname}:443 allowed`,
        ]),
      );

      await core.service.remove('filtered', { force: true });
      await core.service.remove('other', { force: true });
      await expect
        .poll(() => networkExists(`berth-s-${s.id}`), { timeout: 10_000, interval: 100 })
        .toBe(false);
    } finally {
      await core.close();
    }
  });

  it('with egress none gets its preview through the relay, and keeps its relay across a daemon restart', async () => {
    const config = testConfig({ defaultImage: SESSION_IMAGE });
    let core: Core = await openCore(config);
    try {
      const s = await core.service.create({
        name: 'shut',
        repo: makeRepo(),
        egress: 'none',
        preview: {
          command: ['node', '-e', "require('http').createServer((q, r) => r.end('dev server')).listen(8080)"],
          port: 8080,
        },
      });
      expect(s.egress).toEqual({ mode: 'none', allow: [] });
      expect(s.preview?.hostPort).toBeGreaterThan(0);
      expect(await httpGet(s.preview!.hostPort!)).toMatchObject({ status: 200, body: 'dev server' });
      expect(await curl(s.containerId!, `${REGISTRY.origin}/`)).toMatch(/^(403|000)$/);
      const install = await sh(
        s.containerId!,
        'mkdir -p /tmp/p && cd /tmp/p && npm init -y >/dev/null && npm install --no-audit --no-fund --fetch-retries=0 is-number@7',
      );
      expect(install.code).not.toBe(0);
      const refused = (await core.egressLog.report(s.id)).decisions;
      expect(refused.length).toBeGreaterThan(0);
      expect(refused.every((d) => !d.allowed && d.reason === 'egress none')).toBe(true);

      // A new daemon: a new relay, at the address the session's /etc/hosts names.
      await core.close();
      core = await openCore(config);
      await core.startWatching();
      const again = await core.service.get('shut');
      expect(again.status).toBe('running');
      // The relay belongs to no session: a reconciliation (as after the engine's events reconnect) keeps it.
      await core.reconciler.reconcileAll();
      expect(await curl(s.containerId!, `http://${bridgeGateway}:${hostPort}/`)).toBe('403');
      expect(await httpGet(again.preview!.hostPort!)).toMatchObject({ status: 200, body: 'dev server' });
      await core.service.remove('shut', { force: true });
    } finally {
      await core.close();
    }
  });

  it('whose create fails part-way leaves no network behind; bad egress input changes nothing', async () => {
    const config = testConfig({ defaultImage: SESSION_IMAGE });
    const core = await openCore(config);
    try {
      const repo = makeRepo();
      await expect(
        core.service.create({ name: 'bad-host', repo, egress: 'allowlist', allow: ['http://x/'] }),
      ).rejects.toMatchObject({ message: expect.stringContaining('is not a host to allow') });
      await expect(
        core.service.create({ name: 'bad-mode', repo, egress: 'some' as never }),
      ).rejects.toMatchObject({ message: expect.stringContaining('egress is one of open, allowlist, none') });
      await expect(
        core.service.create({ name: 'open', repo, egress: 'open', allow: ['example.org'] }),
      ).rejects.toMatchObject({ hint: expect.stringContaining('--egress allowlist') });
      expect(await core.service.list()).toEqual([]);

      // This berth's session networks only: other tests make theirs on the same engine meanwhile.
      const sessionNetworks = async () =>
        (
          await docker.listNetworks({
            filters: { label: [`${LABEL_HOME}=${core.config.home}`, `${LABEL_ROLE}=session-network`] },
          })
        ).map((n) => n.Name);
      expect(await sessionNetworks()).toEqual([]);
      await expect(
        core.service.create({
          name: 'dies',
          repo,
          egress: 'allowlist',
          preview: { command: ['sh', '-c', 'exit 3'], port: 8080 },
        }),
      ).rejects.toMatchObject({ message: expect.stringContaining('exited before it answered') });
      expect(await core.service.list()).toEqual([]);
      expect(await sessionNetworks()).toEqual([]);
    } finally {
      await core.close();
    }
  });
});
