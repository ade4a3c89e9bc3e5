import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decideAddress,
  decideHost,
  type EgressPolicy,
  localNetworks,
  parseAllowEntry,
} from '../src/egress/egress-policy.js';
import { type EgressEvent, EgressProxy } from '../src/egress/egress-proxy.js';
import { silentLogger } from '../src/index.js';

// berth's egress proxy, on real TCP: a session's connection (here handed in by the test, as the
// session's relay hands it in) may reach only what its policy allows, and never this machine,
// its networks, private, loopback or link-local addresses, whatever name is asked for. The one
// outside host is the npm registry this machine is set up with (reachable here), over real TLS.

const REGISTRY = new URL(execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim());
const CA = readFileSync('/etc/ssl/certs/ca-certificates.crt');

/** A first non-loopback IPv4 address of this machine. */
function ownAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('no address of this machine');
}

let events: EgressEvent[] = [];
let proxy: EgressProxy;
let front: Server;
/** A service of this machine on 0.0.0.0, as a host's own database or admin page would be. */
let hostService: Server;
let hostServiceHits = 0;

async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  proxy = new EgressProxy({
    logger: silentLogger,
    record: (e) => events.push(e),
    // Real DNS, but for one name that a session's own DNS server could make point anywhere:
    // a name resolving into a private range (DNS rebinding), which no lookup here can produce.
    resolve: async (host) => {
      if (host === 'rebound.berth.test') return ['10.1.2.3'];
      const { lookup } = await import('node:dns/promises');
      return (await lookup(host, { all: true })).map((r) => r.address);
    },
  });
  // What the session's relay does: one line naming the session (here, its policy) comes first.
  front = createServer((socket) => {
    let got = Buffer.alloc(0);
    const onData = (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const nl = got.indexOf('\n');
      if (nl < 0) return;
      socket.off('data', onData);
      const policy = JSON.parse(got.subarray(0, nl).toString()) as EgressPolicy;
      proxy.accept(socket, { sessionId: 'sess-1', policy: async () => policy }, got.subarray(nl + 1));
    };
    socket.on('data', onData);
  });
  await listen(front, '127.0.0.1');
  hostService = createHttpServer((_req, res) => {
    hostServiceHits++;
    res.end('host secrets');
  }) as unknown as Server;
  await listen(hostService, '0.0.0.0');
});

afterAll(() => {
  proxy.close();
  front.close();
  hostService.close();
});

/** Sends `head` as a session with `policy`; reads the proxy's answer head (all of a refusal). */
async function ask(
  policy: EgressPolicy,
  head: string,
): Promise<{ status: number; text: string; socket: Socket }> {
  const socket = connect((front.address() as AddressInfo).port, '127.0.0.1');
  socket.write(`${JSON.stringify(policy)}\n${head}`);
  const text = await new Promise<string>((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer) => {
      got += d.toString('latin1');
      if (got.startsWith('HTTP/1.1 200 Connection') && got.includes('\r\n\r\n')) {
        socket.off('data', onData);
        resolve(got);
      }
    };
    socket.on('data', onData);
    socket.once('close', () => resolve(got));
    socket.once('error', reject);
  });
  return { status: Number(text.slice(9, 12)), text, socket };
}

const connectTo = (authority: string) => `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n\r\n`;
const allowlist = (...hosts: string[]): EgressPolicy => ({
  mode: 'allowlist',
  allow: hosts.map(parseAllowEntry),
});
const open: EgressPolicy = { mode: 'open', allow: [] };

describe("berth's egress proxy", () => {
  it('tunnels TLS to an allow-listed host: a real HTTPS request to the registry through it', async () => {
    events = [];
    const { status, socket } = await ask(allowlist(REGISTRY.hostname), connectTo(`${REGISTRY.hostname}:443`));
    expect(status).toBe(200);
    const tls = tlsConnect({ socket, servername: REGISTRY.hostname, ca: CA });
    const answer = await new Promise<string>((resolve, reject) => {
      let got = '';
      tls.once('secureConnect', () =>
        tls.write(`GET /-/ping HTTP/1.1\r\nHost: ${REGISTRY.hostname}\r\nConnection: close\r\n\r\n`),
      );
      tls.on('data', (d: Buffer) => {
        got += d.toString();
      });
      tls.once('end', () => resolve(got));
      tls.once('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
    expect(events).toEqual([
      expect.objectContaining({ sessionId: 'sess-1', host: REGISTRY.hostname, port: 443, allowed: true }),
    ]);
  });

  it('refuses, and records, a host not on the list, a port not allowed, and everything with egress none', async () => {
    events = [];
    const list = allowlist(REGISTRY.hostname);
    for (const [policy, authority] of [
      [list, 'not-listed.berth.test:443'],
      [list, `${REGISTRY.hostname}:22`],
      [{ mode: 'none', allow: [] } as EgressPolicy, `${REGISTRY.hostname}:443`],
    ] as const) {
      const r = await ask(policy, connectTo(authority));
      expect(r.status, authority).toBe(403);
    }
    expect(events.map((e) => [e.host, e.port, e.allowed, e.reason])).toEqual([
      ['not-listed.berth.test', 443, false, 'not on the allow-list'],
      [REGISTRY.hostname, 22, false, 'not on the allow-list'],
      [REGISTRY.hostname, 443, false, 'egress none'],
    ]);
  });

  it('never this machine, its services, its networks, loopback, private or link-local addresses, in any mode, whatever the name', async () => {
    events = [];
    const port = (hostService.address() as AddressInfo).port;
    const gateway = '172.17.0.1'; // the engine's default bridge, where containers reach this host
    const attempts = [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      `[::1]:${port}`,
      `${ownAddress()}:${port}`,
      `${gateway}:${port}`,
      '169.254.169.254:80',
      '10.0.0.1:443',
      '192.168.1.1:443',
      'rebound.berth.test:443',
      `[::ffff:127.0.0.1]:${port}`,
      '0.0.0.0:443',
    ];
    for (const authority of attempts) {
      const r = await ask(open, connectTo(authority));
      expect(r.status, authority).toBe(403);
    }
    // Plain HTTP through the proxy (absolute-form) likewise.
    const plain = await ask(
      open,
      `GET http://127.0.0.1:${port}/ HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`,
    );
    expect(plain.status).toBe(403);
    expect(hostServiceHits).toBe(0);
    expect(events).toHaveLength(attempts.length + 1);
    expect(events.every((e) => !e.allowed)).toBe(true);
    expect(events.find((e) => e.host === '169.254.169.254')?.reason).toBe('a linkLocal address');
    expect(events.find((e) => e.host === 'rebound.berth.test')?.reason).toBe('a private address');
  });

  it('open mode reaches a public host that no list names; plain HTTP goes through as a proxy request', async () => {
    events = [];
    const r = await ask(open, connectTo(`${REGISTRY.hostname}:443`));
    expect(r.status).toBe(200);
    r.socket.destroy();
    const plain = await ask(
      open,
      `GET http://${REGISTRY.hostname}/ HTTP/1.1\r\nHost: ${REGISTRY.hostname}\r\nConnection: close\r\n\r\n`,
    );
    // Whatever the registry answers on port 80, it is its answer, not a refusal of berth's.
    expect(plain.text).not.toContain('berth egress');
    expect(events.map((e) => e.allowed)).toEqual([true, true]);
  });
});

describe('egress policy', () => {
  it('matches names, wildcards and ports; refuses addresses by number on an allow-list', () => {
    const p = allowlist('example.org', '*.pkg.example', 'git.example:8443');
    expect(decideHost(p, 'example.org', 443).allowed).toBe(true);
    expect(decideHost(p, 'EXAMPLE.org.', 80).allowed).toBe(true);
    expect(decideHost(p, 'sub.example.org', 443).allowed).toBe(false);
    expect(decideHost(p, 'a.pkg.example', 443).allowed).toBe(true);
    expect(decideHost(p, 'pkg.example', 443).allowed).toBe(false);
    expect(decideHost(p, 'git.example', 8443).allowed).toBe(true);
    expect(decideHost(p, 'git.example', 443).allowed).toBe(false);
    expect(decideHost(p, '93.184.216.34', 443).allowed).toBe(false);
    for (const bad of ['', 'http://x', '1.2.3.4', 'a..b', '*.', 'x:0', 'x:70000', 'a b']) {
      expect(() => parseAllowEntry(bad), bad).toThrow(/not a host to allow/);
    }
  });

  it('addresses: private, loopback, link-local, CGNAT, multicast, mapped and this machine are never reached', () => {
    const local = localNetworks();
    for (const a of [
      '127.0.0.1',
      '10.1.1.1',
      '172.16.0.1',
      '192.168.0.1',
      '169.254.169.254',
      '100.64.0.1',
      '224.0.0.1',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
      '240.0.0.1',
      ownAddress(),
    ]) {
      expect(decideAddress(a, local).allowed, a).toBe(false);
    }
    for (const a of ['8.8.8.8', '2606:4700:4700::1111'])
      expect(decideAddress(a, local).allowed, a).toBe(true);
  });
});
