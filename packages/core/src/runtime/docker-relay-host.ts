import Docker from 'dockerode';
import { DockerImages } from './docker-images.js';
import { engineStatus, toBerthError } from './engine-errors.js';
import type { HostNetwork, HostNetworkSpec, RelayHost, RelaySpec } from './relay-host.js';

/** The Docker Engine's side of berth's egress gateway (runtime/relay-host.ts). */
export class DockerRelayHost implements RelayHost {
  private readonly images: DockerImages;

  constructor(private readonly docker: Docker = new Docker()) {
    this.images = new DockerImages(docker);
  }

  imageExists(ref: string): Promise<boolean> {
    return this.images.exists(ref);
  }

  async findNetwork(name: string): Promise<HostNetwork | null> {
    const list = await mapped(`list networks named ${name}`, () =>
      this.docker.listNetworks({ filters: { name: [name] } }),
    );
    const net = list.find((n) => n.Name === name);
    return net ? hostNetwork(net) : null;
  }

  async inspectNetwork(name: string): Promise<HostNetwork> {
    return hostNetwork(await mapped(`inspect network ${name}`, () => this.docker.getNetwork(name).inspect()));
  }

  async listNetworks(labels?: Record<string, string>): Promise<HostNetwork[]> {
    const list = await mapped('list networks', () =>
      labels
        ? this.docker.listNetworks({
            filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
          })
        : this.docker.listNetworks(),
    );
    return list.map(hostNetwork);
  }

  async createNetwork(spec: HostNetworkSpec): Promise<boolean> {
    try {
      await this.docker.createNetwork({
        Driver: 'bridge',
        CheckDuplicate: true,
        Name: spec.name,
        ...(spec.sealed
          ? {
              Internal: true,
              Options: {
                // No address of this machine's on the bridge: nothing of the host answers there.
                'com.docker.network.bridge.inhibit_ipv4': 'true',
                'com.docker.network.bridge.enable_icc': 'true',
              },
            }
          : {}),
        Labels: spec.labels,
        IPAM: { Driver: 'default', Config: [{ Subnet: spec.subnet, Gateway: spec.gateway }] },
      });
      return true;
    } catch (err) {
      if (/overlap/i.test(String((err as Error).message))) return false;
      throw toBerthError(err, `create network ${spec.name}`);
    }
  }

  async removeNetwork(name: string): Promise<void> {
    try {
      await this.docker.getNetwork(name).remove();
    } catch (err) {
      if (engineStatus(err) !== 404) throw toBerthError(err, `remove network ${name}`);
    }
  }

  async startRelay(spec: RelaySpec): Promise<string> {
    return mapped(`start the egress relay ${spec.name}`, async () => {
      const container = await this.docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Entrypoint: spec.entrypoint,
        Cmd: [],
        User: '65534:65534',
        Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
        Labels: spec.labels,
        HostConfig: {
          NetworkMode: spec.network,
          RestartPolicy: { Name: 'unless-stopped' },
          CapDrop: ['ALL'],
          SecurityOpt: ['no-new-privileges'],
          ReadonlyRootfs: true,
          Init: true,
          Memory: 256 * 1024 ** 2,
          MemorySwap: 256 * 1024 ** 2,
          NanoCpus: 1e9,
          PidsLimit: 64,
          // Two sockets a connection, for every session's tools and previews.
          Ulimits: [{ Name: 'nofile', Soft: 16_384, Hard: 16_384 }],
          LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '2' } },
        },
      });
      await container.start();
      return container.id;
    });
  }

  async removeContainer(idOrName: string): Promise<void> {
    await mapped(`remove container ${idOrName}`, () =>
      this.docker.getContainer(idOrName).remove({ force: true }),
    );
  }

  async addresses(id: string): Promise<Record<string, string>> {
    const info = await mapped('inspect the egress relay', () => this.docker.getContainer(id).inspect());
    const out: Record<string, string> = {};
    for (const [name, n] of Object.entries(info.NetworkSettings.Networks ?? {})) out[name] = n.IPAddress;
    return out;
  }

  async connect(network: string, id: string, address: string): Promise<void> {
    await mapped(`join the egress relay to ${network}`, () =>
      this.docker.getNetwork(network).connect({
        Container: id,
        EndpointConfig: { IPAMConfig: { IPv4Address: address } },
      }),
    );
  }

  async disconnect(network: string, id: string): Promise<void> {
    await mapped(`take the egress relay off ${network}`, () =>
      this.docker.getNetwork(network).disconnect({ Container: id, Force: true }),
    );
  }
}

async function mapped<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toBerthError(err, what);
  }
}

function hostNetwork(n: Docker.NetworkInspectInfo): HostNetwork {
  const config = n.IPAM?.Config ?? [];
  return {
    name: n.Name,
    labels: n.Labels ?? {},
    subnets: config.map((c) => c.Subnet).filter((s): s is string => Boolean(s)),
    gateways: config.map((c) => c.Gateway).filter((g): g is string => Boolean(g)),
  };
}
