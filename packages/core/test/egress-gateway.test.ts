import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, removeContainersOf, SESSION_IMAGE } from '@berth/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EgressGateway, PROXY_PORT, type SessionNetwork } from '../src/egress/egress-gateway.js';
import { type EgressPolicy, parseAllowEntry } from '../src/egress/egress-policy.js';
import { type EgressEvent, EgressProxy } from '../src/egress/egress-proxy.js';
import { LABEL_HOME, LABEL_MANAGED, silentLogger } from '../src/index.js';
import { DockerRelayHost } from '../src/runtime/docker-relay-host.js';

// The hostile-session network suite, with real containers: a session on its own network, with
// berth's relay as its only way out and the daemon's egress proxy deciding. From inside, this
// machine's own services (on 0.0.0.0, and berth's port through the bridge gateway), another
// session, a link-local address and a host off the allow-list are refused, directly and through
// the proxy, and every proxy decision is recorded; an allow-listed registry works for a real
// `npm install`; with egress none it fails.

const REGISTRY = new URL(execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim());
const HOST_CA = '/etc/ssl/certs/ca-certificates.crt';

const home = mkdtempSync(join(tmpdir(), 'berth-egress-'));
const events: EgressEvent[] = [];
const policies = new Map<string, EgressPolicy>();
const proxy = new EgressProxy({ logger: silentLogger, record: (e) => events.push(e) });
const gateway = new EgressGateway({
  host: new DockerRelayHost(docker),
  home,
  logger: silentLogger,
  image: SESSION_IMAGE,
  proxy,
  policyOf: async (id) => policies.get(id) ?? null,
});
/** A service of this machine on all its addresses: its database, its admin page, berth's API. */
const hostService = createServer((_req, res) => res.end('host secrets'));
let hostHits = 0;
hostService.on('request', () => hostHits++);

interface Sandbox {
  id: string;
  net: SessionNetwork;
  container: string;
  address: string;
}
const made: Sandbox[] = [];

async function sandbox(id: string, policy: EgressPolicy, cmd = ['sleep', 'infinity']): Promise<Sandbox> {
  policies.set(id, policy);
  const net = await gateway.createSessionNetwork(id);
  const proxyUrl = `http://${net.relay}:${PROXY_PORT}`;
  const c = await docker.createContainer({
    Image: SESSION_IMAGE,
    Cmd: cmd,
    User: '1000:1000',
    Env: [
      `HTTP_PROXY=${proxyUrl}`,
      `HTTPS_PROXY=${proxyUrl}`,
      `http_proxy=${proxyUrl}`,
      `https_proxy=${proxyUrl}`,
      'NO_PROXY=localhost,127.0.0.1',
      `NODE_EXTRA_CA_CERTS=${HOST_CA}`,
      'HOME=/tmp',
    ],
    Labels: { [LABEL_HOME]: home, [LABEL_MANAGED]: 'true' },
    HostConfig: { NetworkMode: net.name, Binds: [`${HOST_CA}:${HOST_CA}:ro`] },
  });
  await c.start();
  const address = (await c.inspect()).NetworkSettings.Networks[net.name]!.IPAddress;
  const s = { id, net, container: c.id, address };
  made.push(s);
  return s;
}

/** Runs a shell script in the sandbox; never synchronously: the proxy it talks to is in this process. */
function run(s: Sandbox, script: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(
      'docker',
      ['exec', s.container, 'sh', '-c', script],
      { timeout: 180_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

/** The HTTP status curl got (000: no answer at all), through the proxy or, with `direct`, not. */
async function curl(s: Sandbox, url: string, direct = false): Promise<string> {
  const noproxy = direct ? "--noproxy '*'" : '';
  return (await run(s, `curl -s -o /dev/null -m 5 -w '%{http_code}' ${noproxy} '${url}'`)).out.trim();
}

let hostPort = 0;
let bridgeGateway = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => hostService.listen(0, '0.0.0.0', resolve));
  hostPort = (hostService.address() as AddressInfo).port;
  const bridge = await docker.getNetwork('bridge').inspect();
  bridgeGateway = bridge.IPAM?.Config?.[0]?.Gateway ?? '172.17.0.1';
  await gateway.start();
}, 120_000);

afterAll(async () => {
  await removeContainersOf(home);
  for (const s of made) await gateway.removeSessionNetwork(s.id);
  await gateway.close();
  await docker
    .getNetwork(gateway.egressNetwork)
    .remove()
    .catch(() => {});
  proxy.close();
  hostService.close();
  rmSync(home, { recursive: true, force: true });
});

describe('a session on its own network, berth’s relay its only way out', { timeout: 300_000 }, () => {
  it('reaches nothing of this machine, other sessions, link-local or off-list hosts; an allow-listed registry works for npm install', async () => {
    const other = await sandbox('00000000-0000-4000-8000-000000000002', { mode: 'open', allow: [] }, [
      'node',
      '-e',
      "require('http').createServer((q, r) => r.end('other session')).listen(8080)",
    ]);
    const s = await sandbox('00000000-0000-4000-8000-000000000001', {
      mode: 'allowlist',
      allow: [parseAllowEntry(REGISTRY.hostname)],
    });

    // Straight out, past the proxy: there is no route at all.
    for (const url of [
      `http://${bridgeGateway}:${hostPort}/`,
      `http://${other.address}:8080/`,
      `${REGISTRY.origin}/`,
      'http://169.254.169.254/',
    ]) {
      expect(await curl(s, url, true), url).toBe('000');
    }
    // Through the proxy: refused, each one recorded.
    events.length = 0;
    for (const url of [
      `http://${bridgeGateway}:${hostPort}/`,
      `http://${other.address}:8080/`,
      'http://169.254.169.254/latest/meta-data/',
      'https://off-the-list.berth.test/',
    ]) {
      // Plain HTTP gets the proxy's 403; an HTTPS tunnel refused leaves curl with no answer (000).
      expect(await curl(s, url), url).toBe(url.startsWith('https:') ? '000' : '403');
    }
    expect(hostHits).toBe(0);
    const refused = events.filter((e) => !e.allowed).map((e) => e.host);
    expect(refused).toEqual([bridgeGateway, other.address, '169.254.169.254', 'off-the-list.berth.test']);
    expect(events.every((e) => e.sessionId === s.id)).toBe(true);

    // The allow-listed registry, through the proxy: a real npm install.
    const install = await run(
      s,
      'mkdir -p /tmp/p && cd /tmp/p && npm init -y >/dev/null && npm install --no-audit --no-fund is-number@7 && node -e "require(\'is-number\')"',
    );
    expect(install.code, install.out).toBe(0);
    expect(events.some((e) => e.host === REGISTRY.hostname && e.allowed)).toBe(true);

    // The daemon's way in (a preview): through the relay to a session's address.
    const dial = await gateway.dial(other.id, other.container, 8080);
    const dialed = await new Promise<string>((resolve, reject) => {
      const sock = dial!();
      let got = '';
      sock.on('data', (d: Buffer) => {
        got += d.toString();
      });
      sock.on('close', () => resolve(got));
      sock.on('error', reject);
      sock.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    });
    expect(dialed).toContain('other session');
  });

  it('with egress none, nothing goes out: the registry is refused and npm install fails', async () => {
    const s = await sandbox('00000000-0000-4000-8000-000000000003', { mode: 'none', allow: [] });
    events.length = 0;
    expect(await curl(s, `${REGISTRY.origin}/`)).toMatch(/^(403|000)$/);
    const install = await run(
      s,
      'mkdir -p /tmp/p && cd /tmp/p && npm install --no-audit --no-fund --fetch-retries=0 is-number@7',
    );
    expect(install.code).not.toBe(0);
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((e) => !e.allowed && e.reason === 'egress none')).toBe(true);
  });
});
