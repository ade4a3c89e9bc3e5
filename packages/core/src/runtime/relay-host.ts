/**
 * What berth's egress gateway (egress/egress-gateway.ts) asks of the engine, in berth's nouns:
 * networks on subnets it picks, its one relay container, and joining the relay to networks.
 * runtime/docker-relay-host.ts is the Docker Engine's.
 */

export interface HostNetwork {
  name: string;
  labels: Record<string, string>;
  /** The network's subnets (CIDR) and gateways, as its address management has them. */
  subnets: string[];
  gateways: string[];
}

export interface HostNetworkSpec {
  name: string;
  labels: Record<string, string>;
  subnet: string;
  gateway: string;
  /**
   * A session's own network: no route out, and no address of this machine's on its bridge (the
   * host and its services on 0.0.0.0 are not even addressable from it); its members see each other.
   */
  sealed?: boolean;
}

export interface RelaySpec {
  name: string;
  image: string;
  /** The relay's program: replaces the image's entrypoint, with no further arguments. */
  entrypoint: string[];
  env: Record<string, string>;
  labels: Record<string, string>;
  /** The network it starts on. */
  network: string;
}

export interface RelayHost {
  imageExists(ref: string): Promise<boolean>;
  /** The network of exactly that name; null when there is none. */
  findNetwork(name: string): Promise<HostNetwork | null>;
  inspectNetwork(name: string): Promise<HostNetwork>;
  /** Every network of the engine's, or those carrying all these labels. */
  listNetworks(labels?: Record<string, string>): Promise<HostNetwork[]>;
  /** A bridge network; false when its subnet overlaps another network's (taken meanwhile). */
  createNetwork(spec: HostNetworkSpec): Promise<boolean>;
  /** A missing network is not an error. */
  removeNetwork(name: string): Promise<void>;
  /** Makes and starts the relay container; its id. */
  startRelay(spec: RelaySpec): Promise<string>;
  /** Removes a container by id or name, running or not. */
  removeContainer(idOrName: string): Promise<void>;
  /** The container's address on each network it is on. */
  addresses(id: string): Promise<Record<string, string>>;
  /** Joins the container to the network at a fixed IPv4 address. */
  connect(network: string, id: string, address: string): Promise<void>;
  disconnect(network: string, id: string): Promise<void>;
}
