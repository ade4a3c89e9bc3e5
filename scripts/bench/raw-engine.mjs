// The raw side: the same container work berth does, through dockerode, with berth's own
// definitions (its defaults, its engine create options) so the two sides cannot drift apart.
import { dockerCreateOptions, LABEL_MANAGED } from '@berth/core';

/** The session image of every engine row, berth's and raw. */
export const IMAGE = 'berth-test/busybox:1';
/** The bench's own labels on what the raw side makes: cleanup sweeps them by run. */
export const RAW_LABEL = 'dev.berth.bench';
export const RAW_RUN_LABEL = 'dev.berth.bench.run';

/** One run's raw side. `defaults` is berth's configuration as the bench's daemon loads it. */
export class RawEngine {
  #relay = null;

  constructor(docker, runId, defaults) {
    this.docker = docker;
    this.runId = runId;
    this.defaults = defaults;
    /** berth's shared session network, which unfiltered sessions join. */
    this.network = defaults.sessionNetwork;
    this.labels = { [RAW_LABEL]: 'raw', [RAW_RUN_LABEL]: runId };
  }

  /** The label filter that finds what this run's raw side made. */
  get filter() {
    return [`${RAW_LABEL}=raw`, `${RAW_RUN_LABEL}=${this.runId}`];
  }

  /** berth's shared session network, made as berth makes it if it is not there. */
  async ensureNetwork() {
    const name = this.network;
    const existing = await this.docker.listNetworks({ filters: { name: [name] } });
    if (existing.some((n) => n.Name === name)) return;
    // berth never removes it; neither does the bench.
    await this.docker
      .createNetwork({
        Name: name,
        Driver: 'bridge',
        CheckDuplicate: true,
        Options: { 'com.docker.network.bridge.enable_icc': 'false' },
        Labels: { [LABEL_MANAGED]: 'true' },
      })
      .catch(async (err) => {
        const again = await this.docker.listNetworks({ filters: { name: [name] } });
        if (!again.some((n) => n.Name === name)) throw err;
      });
  }

  /** The gateway address of berth's shared network: where containers on it reach the host. */
  async networkGateway() {
    await this.ensureNetwork();
    const net = await this.docker.getNetwork(this.network).inspect();
    return (net.IPAM?.Config ?? []).map((c) => c.Gateway).find(Boolean);
  }

  /**
   * A stand-in for berth's relay: a container on an internal network of its own (as berth's relay
   * is on its egress network), which every raw session network joins. Untimed: berth's relay is up
   * before its first session too. The engine will not join a container made with NetworkMode
   * `none` to another network, so it gets a network of its own.
   */
  async startRelay() {
    if (this.#relay) return;
    const network = `berth-bench-raw-egress-${this.runId}`;
    await this.docker.createNetwork({
      Name: network,
      Driver: 'bridge',
      Internal: true,
      CheckDuplicate: true,
      // Beside the session networks' /28s (sessionNetwork), away from the engine's address pools.
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.214.255.240/28', Gateway: '10.214.255.241' }] },
      Labels: this.labels,
    });
    this.#relay = await this.docker.createContainer({
      name: `berth-bench-raw-relay-${this.runId}`,
      Image: IMAGE,
      Cmd: ['sleep', 'infinity'],
      Labels: this.labels,
      HostConfig: { NetworkMode: network, CapDrop: ['ALL'] },
    });
    await this.#relay.start();
  }

  /**
   * The raw side of a filtered session's network (berth's default): an internal network of its
   * own, on a /28 berth does not use, with no host address on its bridge, and the stand-in relay
   * joined to it at a fixed address, as berth's gateway does.
   */
  async sessionNetwork(i) {
    await this.startRelay();
    const name = `berth-bench-raw-net-${this.runId}-${i}`;
    const base = `10.214.${Math.floor(i / 16) % 256}.${(i % 16) * 16}`;
    const at = (n) => base.replace(/\.(\d+)$/, (_m, last) => `.${Number(last) + n}`);
    await this.docker.createNetwork({
      Name: name,
      Driver: 'bridge',
      Internal: true,
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: `${base}/28`, Gateway: at(1) }] },
      Options: {
        'com.docker.network.bridge.inhibit_ipv4': 'true',
        'com.docker.network.bridge.enable_icc': 'true',
      },
      Labels: this.labels,
    });
    await this.docker.getNetwork(name).connect({
      Container: this.#relay.id,
      EndpointConfig: { IPAMConfig: { IPv4Address: at(2) } },
    });
    return name;
  }

  async removeSessionNetwork(name) {
    await this.docker.getNetwork(name).disconnect({ Container: this.#relay.id, Force: true });
    await this.docker.getNetwork(name).remove();
  }

  /**
   * A session container's spec in berth's own terms (ContainerSpec): berth's default limits, the
   * working copy at /workspace; `extra` overrides fields (image, command, env, mounts).
   */
  containerSpec(name, bindDir, user, extra = {}) {
    const limits = this.defaults.defaultLimits;
    return {
      name,
      image: IMAGE,
      command: ['sleep', 'infinity'],
      user,
      env: { HOME: '/home/berth' },
      workingDir: '/workspace',
      labels: this.labels,
      mounts: [{ source: bindDir, target: '/workspace', readOnly: false }],
      cpus: limits.cpus,
      memoryBytes: limits.memoryBytes,
      pids: limits.pids,
      network: this.network,
      ...extra,
    };
  }

  /** createContainer with the engine options berth's driver sends for `spec`, HostConfig and all. */
  createContainer(spec) {
    return this.docker.createContainer(dockerCreateOptions(spec));
  }

  async execTrue(container, user) {
    await this.execOk(container, user, ['true']);
  }

  /** exec create + start + wait + inspect, as the engine's API does it; throws unless it exits 0. */
  async execOk(container, user, cmd, env = []) {
    const exec = await container.exec({
      Cmd: cmd,
      User: user,
      ...(env.length > 0 ? { Env: env } : {}),
      WorkingDir: '/workspace',
      AttachStdout: true,
      AttachStderr: true,
      AttachStdin: false,
      Tty: false,
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    await new Promise((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', reject);
      stream.resume();
    });
    const info = await exec.inspect();
    if (info.ExitCode !== 0) throw new Error(`raw exec of ${cmd.join(' ')} exited ${info.ExitCode}`);
  }
}
