import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { type AddressInfo, connect, createServer, type Server, Socket } from 'node:net';
import { EngineError } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import { LABEL_HOME, LABEL_MANAGED, LABEL_ROLE, LABEL_SESSION_ID, ROLE_RELAY } from '../runtime/labels.js';
import type { HostNetworkSpec, RelayHost } from '../runtime/relay-host.js';
import type { Dialer } from '../runtime/runtime.js';
import type { EgressPolicy } from './egress-policy.js';
import type { EgressProxy } from './egress-proxy.js';
import { RELAY_SCRIPT } from './relay-script.js';

/**
 * The network shape of egress: every session on a network of its own that is internal (no route
 * out) and whose bridge has no address on this machine (com.docker.network.bridge.inhibit_ipv4:
 * the host, its services on 0.0.0.0 and berth's own ports are not even addressable from it).
 * The only other container on it is berth's relay, also on an ordinary bridge (`berth-egress`)
 * where the daemon listens: a session's proxy connections go through the relay to the daemon's
 * egress proxy, which decides; the daemon's preview connections go the other way.
 *
 *   session ─(its own network)─ relay ─(berth-egress)─ daemon ── egress proxy ── internet
 */

export const PROXY_PORT = 3128;
const DIAL_PORT = 3129;
/** Where a session's agent reaches berth's key broker, through the relay. */
export const BROKER_PORT = 3130;
const ROLE_SESSION_NETWORK = 'session-network';
/** Session networks are /28s of this range: 4,096 of them, none ever routed on this machine. */
const SUBNET_BASE = [10, 213, 0, 0] as const;
const SUBNETS = 4096;
const HEADER_MAX = 256;

export interface EgressGatewayDeps {
  /** The engine's networks and the relay container (runtime/docker-relay-host.ts for Docker). */
  host: RelayHost;
  home: string;
  logger: Logger;
  /** An image with Node for the relay (berth's session image). */
  image: string;
  proxy: EgressProxy;
  /** The session's policy now; null when it is gone (its connections are then refused). */
  policyOf: (sessionId: string) => Promise<EgressPolicy | null>;
  /** Serves a session's connection to the key broker (the bytes read past the header first). */
  broker?: (socket: Socket, head: Buffer) => void;
}

export interface SessionNetwork {
  name: string;
  /** The relay's address there: the session's HTTP(S)_PROXY host. */
  relay: string;
}

/** A filtered session's own network. */
const sessionNetworkOf = (sessionId: string) => `berth-s-${sessionId}`;

const tagOf = (home: string) => createHash('sha256').update(home).digest('hex').slice(0, 12);

export class EgressGateway {
  private readonly token = randomBytes(24).toString('hex');
  private readonly tag: string;
  private listener: Server | null = null;
  private relayId: string | null = null;
  private ready: Promise<void> | null = null;
  /** The relay's address on a session's network → that session. */
  private readonly byRelayAddress = new Map<string, string>();
  private egressRelayAddress: string | null = null;

  constructor(private readonly deps: EgressGatewayDeps) {
    this.tag = tagOf(deps.home);
  }

  get egressNetwork(): string {
    return `berth-egress-${this.tag}`;
  }

  private get relayName(): string {
    return `berth-egress-relay-${this.tag}`;
  }

  /** The egress network, the daemon's listener on its gateway, and a relay that knows this daemon. */
  start(): Promise<void> {
    this.ready ??= this.bringUp().catch((err: unknown) => {
      this.ready = null;
      throw err;
    });
    return this.ready;
  }

  private async bringUp(): Promise<void> {
    const { host, home } = this.deps;
    const image = await host.imageExists(this.deps.image).catch(() => false);
    if (!image) {
      throw new EngineError(`berth's egress relay runs in ${this.deps.image}, which is not built`, {
        hint: 'build it with `berth image build` (`berth image bootstrap` first when offline), or set BERTH_EGRESS=off for unfiltered sessions',
      });
    }
    const labels = { [LABEL_MANAGED]: 'true', [LABEL_HOME]: home, [LABEL_ROLE]: ROLE_RELAY };
    let net = await host.findNetwork(this.egressNetwork);
    if (!net) {
      // A /28 of berth's own range, not one of the engine's few address pools.
      await this.createInFreeSubnet({ name: this.egressNetwork, labels });
      net = await host.inspectNetwork(this.egressNetwork);
    }
    const gateway = net.gateways[0];
    if (!gateway) throw new EngineError(`network ${this.egressNetwork} has no gateway`);
    this.listener = createServer((socket) => this.onRelayConnection(socket));
    await new Promise<void>((resolve, reject) => {
      this.listener!.once('error', reject);
      this.listener!.listen({ host: gateway, port: 0 }, () => resolve());
    }).catch((err: NodeJS.ErrnoException) => {
      this.listener = null;
      throw new EngineError(
        `berth cannot listen on ${gateway}, the gateway of its egress network (${err.code ?? err.message})`,
        {
          hint: 'run the daemon on the engine’s own machine, not in a container or against a remote engine, or set BERTH_EGRESS=off for unfiltered sessions',
        },
      );
    });
    const port = (this.listener.address() as AddressInfo).port;
    // A relay from an earlier start knows an older token and port: a new one, joined to every
    // session network that is still there.
    await host.removeContainer(this.relayName).catch(() => {});
    this.relayId = await host.startRelay({
      name: this.relayName,
      image: this.deps.image,
      entrypoint: ['node', '-e', RELAY_SCRIPT],
      env: { BERTH_EGRESS_DAEMON: `${gateway}:${port}`, BERTH_EGRESS_TOKEN: this.token },
      labels,
      network: this.egressNetwork,
    });
    this.egressRelayAddress = (await host.addresses(this.relayId))[this.egressNetwork] ?? null;
    for (const n of await host.listNetworks({ [LABEL_HOME]: home, [LABEL_ROLE]: ROLE_SESSION_NETWORK })) {
      const sessionId = n.labels[LABEL_SESSION_ID];
      const subnet = n.subnets[0];
      if (sessionId && subnet) await this.join(n.name, sessionId, subnet);
    }
    await this.waitListening();
  }

  /** Until the relay's dial port answers (its Node has started). */
  private async waitListening(): Promise<void> {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const up = await new Promise<boolean>((resolve) => {
        const s = connect(DIAL_PORT, this.egressRelayAddress ?? '0.0.0.0');
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      });
      if (up) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new EngineError(`berth's egress relay (${this.deps.image}) did not start`, {
      hint: `look at \`docker logs ${this.relayName}\`; the relay needs Node in ${this.deps.image}`,
    });
  }

  /** A new network of the session's own, with the relay on it. */
  async createSessionNetwork(sessionId: string): Promise<SessionNetwork> {
    await this.start();
    const { home } = this.deps;
    const name = sessionNetworkOf(sessionId);
    const subnet = await this.createInFreeSubnet({
      name,
      // Internal, and no address of this machine's on the bridge: nothing of the host answers there.
      sealed: true,
      labels: {
        [LABEL_MANAGED]: 'true',
        [LABEL_HOME]: home,
        [LABEL_ROLE]: ROLE_SESSION_NETWORK,
        [LABEL_SESSION_ID]: sessionId,
      },
    });
    const relay = await this.join(name, sessionId, subnet);
    return { name, relay };
  }

  /** A bridge network on a /28 of 10.213.0.0/16 that no network of the engine's overlaps; its subnet. */
  private async createInFreeSubnet(spec: Omit<HostNetworkSpec, 'subnet' | 'gateway'>): Promise<string> {
    const { host } = this.deps;
    const taken = new Set<string>();
    for (const n of await host.listNetworks()) for (const subnet of n.subnets) taken.add(subnet);
    const start = Math.floor(Math.random() * SUBNETS);
    for (let i = 0; i < SUBNETS; i++) {
      const subnet = subnetAt((start + i) % SUBNETS);
      if (taken.has(subnet)) continue;
      // Refused as overlapping: another berth (or create) took that subnet just now, so the next one.
      if (await host.createNetwork({ ...spec, subnet, gateway: addressIn(subnet, 1) })) return subnet;
    }
    throw new EngineError('no free subnet for a berth network is left in 10.213.0.0/16', {
      hint: 'remove networks berth no longer needs (`docker network ls --filter label=dev.berth.managed=true`)',
    });
  }

  /**
   * The relay on a session network, always at the subnet's second address: the session's
   * /etc/hosts names it there, and a relay made at the next start must be found there again.
   */
  private async join(network: string, sessionId: string, subnet: string): Promise<string> {
    const { host } = this.deps;
    let address = (await host.addresses(this.relayId!))[network];
    if (!address) {
      await host.connect(network, this.relayId!, addressIn(subnet, 2));
      address = (await host.addresses(this.relayId!))[network];
    }
    if (!address) throw new EngineError(`the egress relay got no address on ${network}`);
    this.byRelayAddress.set(address, sessionId);
    return address;
  }

  /** The sessions whose networks (of this BERTH_HOME) the engine has. */
  async sessionNetworkIds(): Promise<string[]> {
    const nets = await this.deps.host.listNetworks({
      [LABEL_HOME]: this.deps.home,
      [LABEL_ROLE]: ROLE_SESSION_NETWORK,
    });
    return nets.map((n) => n.labels[LABEL_SESSION_ID]).filter((id): id is string => Boolean(id));
  }

  /** The session's network goes (after its container). */
  async removeSessionNetwork(sessionId: string): Promise<void> {
    const { host } = this.deps;
    const name = sessionNetworkOf(sessionId);
    for (const [address, id] of this.byRelayAddress)
      if (id === sessionId) this.byRelayAddress.delete(address);
    if (this.relayId) await host.disconnect(name, this.relayId).catch(() => {});
    await host.removeNetwork(name);
  }

  /**
   * How the daemon reaches `port` of a container on a session's own network (a preview): through
   * the relay, the network's only other member. Null when the container is not on it.
   */
  async dial(sessionId: string, containerId: string, port: number): Promise<Dialer | null> {
    const address = (await this.deps.host.addresses(containerId))[sessionNetworkOf(sessionId)];
    if (!address) return null;
    return () => {
      if (!this.egressRelayAddress) {
        const socket = new Socket();
        process.nextTick(() => socket.destroy(new EngineError('the egress relay is not running')));
        return socket;
      }
      const socket = connect(DIAL_PORT, this.egressRelayAddress);
      socket.write(`DIAL ${this.token} ${address} ${port}\n`);
      return socket;
    };
  }

  /** A connection from the relay: its header names the session; the rest is the proxy's. */
  private onRelayConnection(socket: Socket): void {
    socket.setNoDelay(true);
    socket.on('error', () => socket.destroy());
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(10);
      if (nl < 0) {
        if (buf.length > HEADER_MAX) socket.destroy();
        return;
      }
      socket.off('data', onData);
      const [word, token, local] = buf.subarray(0, nl).toString('latin1').trim().split(' ');
      const want = Buffer.from(this.token);
      const got = Buffer.from(token ?? '');
      const sessionId = local ? this.byRelayAddress.get(local) : undefined;
      if (
        (word !== 'BERTH-EGRESS' && (word !== 'BERTH-BROKER' || !this.deps.broker)) ||
        got.length !== want.length ||
        !timingSafeEqual(got, want) ||
        !sessionId
      ) {
        socket.destroy();
        return;
      }
      // Handed on in this tick: what arrives next is read by the proxy (or the broker) itself.
      if (word === 'BERTH-BROKER') {
        this.deps.broker!(socket, buf.subarray(nl + 1));
        return;
      }
      this.deps.proxy.accept(
        socket,
        { sessionId, policy: () => this.deps.policyOf(sessionId) },
        buf.subarray(nl + 1),
      );
    };
    socket.on('data', onData);
  }

  /**
   * The listener and the relay go; session networks stay for the next start, and the egress
   * network too while there are any (an engine has few address pools to spare).
   */
  async close(): Promise<void> {
    this.listener?.close();
    this.listener = null;
    const started = this.ready !== null;
    if (this.relayId) await this.deps.host.removeContainer(this.relayId).catch(() => {});
    this.relayId = null;
    this.ready = null;
    if (started && (await this.sessionNetworkIds().catch(() => ['?'])).length === 0)
      await this.deps.host.removeNetwork(this.egressNetwork).catch(() => {});
  }
}

function subnetAt(i: number): string {
  const offset = i * 16;
  return `${SUBNET_BASE[0]}.${SUBNET_BASE[1]}.${Math.floor(offset / 256)}.${offset % 256}/28`;
}

/** The nth address of a /28 (`10.213.0.16/28`, 2 → 10.213.0.18): the bridge's is the first. */
function addressIn(subnet: string, n: number): string {
  const [base] = subnet.split('/');
  const octets = base!.split('.').map(Number);
  octets[3] = octets[3]! + n;
  return octets.join('.');
}
