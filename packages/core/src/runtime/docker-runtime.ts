import { connect } from 'node:net';
import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { dockerCreateOptions } from './docker-create-options.js';
import { followEvents } from './docker-events.js';
import { demuxFrames, openTerminal, runExec } from './docker-exec.js';
import { DockerImages } from './docker-images.js';
import { ensureSessionNetwork, networkGateway } from './docker-networks.js';
import { DockerRelayHost } from './docker-relay-host.js';
import { type CpuSamples, readStats } from './docker-stats.js';
import { EngineCalls } from './engine-calls.js';
import { engineMessage, engineStatus, toBerthError } from './engine-errors.js';
import type { ImageEngine } from './images.js';
import { managedFilter } from './labels.js';
import type { RelayHost } from './relay-host.js';
import type {
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  Dialer,
  EngineCallObserver,
  EngineInfo,
  ExecOptions,
  ExecResult,
  InteractiveExec,
  LogChunk,
  RuntimeCapabilities,
  RuntimeEvent,
  VolumeInfo,
} from './runtime.js';

/** Kept for the callers of the driver's own names; they live in their modules now. */
export { dockerCreateOptions, toBerthError };

/** The Docker Engine pauses with the cgroup freezer, resizes live containers, and measures it all. */
const DOCKER_CAPABILITIES: RuntimeCapabilities = Object.freeze({
  pause: 'freeze',
  liveResize: true,
  stats: Object.freeze([
    'cpuPercent',
    'cpuUsageNanos',
    'memoryBytes',
    'memoryLimitBytes',
    'networkRxBytes',
    'networkTxBytes',
    'pids',
  ] as const),
});

/**
 * berth's Docker Engine driver: the runtime port (runtime.ts) over dockerode. Its parts live beside
 * it: container options, exec, networks, stats, events, images and the egress relay's host.
 */
export class DockerRuntime implements ContainerRuntime {
  readonly capabilities: RuntimeCapabilities = DOCKER_CAPABILITIES;
  /** The image side of the port, on the same engine client. */
  readonly images: ImageEngine;
  private readonly docker: Docker;
  private readonly home: string;
  private readonly lastCpu: CpuSamples = new Map();
  private readonly calls: EngineCalls;

  /** `onCall` hears of every engine call (metrics); it is never allowed to fail one. */
  constructor(opts: { home: string; docker?: Docker; onCall?: EngineCallObserver }) {
    this.docker = opts.docker ?? new Docker();
    this.images = new DockerImages(this.docker);
    this.home = opts.home;
    this.calls = new EngineCalls(opts.onCall);
  }

  private timed<T>(op: string, call: () => Promise<T>): Promise<T> {
    return this.calls.timed(op, call);
  }

  private engine<T>(op: string, what: string, call: () => Promise<T>): Promise<T> {
    return this.calls.engine(op, what, call);
  }

  async ping(): Promise<void> {
    await this.engine('ping', 'answer a ping', () => this.docker.ping());
  }

  async info(): Promise<EngineInfo> {
    const info = (await this.engine('info', 'describe itself', () => this.docker.info())) as DockerInfo;
    return {
      serverVersion: info.ServerVersion ?? '',
      runtimes: Object.keys(info.Runtimes ?? {}).sort(),
      cgroupVersion: info.CgroupVersion ?? '',
    };
  }

  async imageExists(ref: string): Promise<boolean> {
    return this.timed('image.inspect', () => this.images.exists(ref));
  }

  /** What berth's egress gateway needs of this engine (its networks and relay), on the same client. */
  relayHost(): RelayHost {
    return new DockerRelayHost(this.docker);
  }

  ensureSessionNetwork(name: string): Promise<void> {
    return ensureSessionNetwork(this.docker, this.calls, name);
  }

  networkGateway(name: string): Promise<string | null> {
    return networkGateway(this.docker, this.calls, name);
  }

  async create(spec: ContainerSpec): Promise<string> {
    const container = await this.engine('container.create', `create container ${spec.name}`, () =>
      this.docker.createContainer(dockerCreateOptions(spec)),
    );
    return container.id;
  }

  async start(id: string): Promise<void> {
    await this.engine('container.start', 'start the container', async () => {
      try {
        await this.docker.getContainer(id).start();
      } catch (err) {
        if (engineStatus(err) !== 304) throw err; // already started
      }
    });
  }

  async stop(id: string, timeoutSeconds = 5): Promise<void> {
    await this.engine('container.stop', 'stop the container', async () => {
      try {
        await this.docker.getContainer(id).stop({ t: timeoutSeconds });
      } catch (err) {
        if (engineStatus(err) !== 304) throw err; // already stopped
      }
    });
  }

  async restart(id: string, timeoutSeconds = 5): Promise<void> {
    await this.engine('container.restart', 'restart the container', () =>
      this.docker.getContainer(id).restart({ t: timeoutSeconds }),
    );
  }

  async update(id: string, limits: { cpus?: number; memoryBytes?: number }): Promise<void> {
    await this.engine('container.update', 'change the container’s limits', () =>
      this.docker.getContainer(id).update({
        ...(limits.cpus !== undefined ? { NanoCpus: Math.round(limits.cpus * 1e9) } : {}),
        ...(limits.memoryBytes !== undefined
          ? { Memory: limits.memoryBytes, MemorySwap: limits.memoryBytes }
          : {}),
      }),
    );
  }

  async pause(id: string): Promise<void> {
    await this.engine('container.pause', 'pause the container', () => this.docker.getContainer(id).pause());
  }

  async unpause(id: string): Promise<void> {
    await this.engine('container.unpause', 'resume the container', () =>
      this.docker.getContainer(id).unpause(),
    );
  }

  async remove(id: string): Promise<void> {
    await this.timed('container.remove', async () => {
      try {
        await this.docker.getContainer(id).remove({ force: true, v: true });
      } catch (err) {
        const status = engineStatus(err);
        if (status === 404) return;
        // 409: removal already in progress; the engine finishes it.
        if (status === 409 && /already in progress/.test(engineMessage(err))) return;
        throw toBerthError(err, 'remove the container');
      }
    });
  }

  async inspect(id: string): Promise<ContainerState | null> {
    return this.timed('container.inspect', () => this.inspectNow(id));
  }

  private async inspectNow(id: string): Promise<ContainerState | null> {
    try {
      const info = await this.docker.getContainer(id).inspect();
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ''),
        status: info.State.Status as ContainerStatus,
        exitCode: info.State.Running ? null : info.State.ExitCode,
        oomKilled: info.State.OOMKilled === true,
        labels: info.Config.Labels ?? {},
      };
    } catch (err) {
      if (engineStatus(err) === 404) return null;
      throw toBerthError(err, 'inspect the container');
    }
  }

  async dial(id: string, port: number, via: { network: string }): Promise<Dialer | null> {
    const info = await this.engine('container.inspect', 'inspect the container', () =>
      this.docker.getContainer(id).inspect(),
    );
    const address = info.NetworkSettings?.Networks?.[via.network]?.IPAddress;
    return address ? () => connect(port, address) : null;
  }

  async listManaged(): Promise<ContainerState[]> {
    const list = await this.engine('container.list', 'list containers', () =>
      this.docker.listContainers({
        all: true,
        filters: managedFilter(this.home),
      }),
    );
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names[0] ?? '').replace(/^\//, ''),
      status: c.State as ContainerStatus,
      exitCode: null,
      labels: c.Labels ?? {},
    }));
  }

  exec(id: string, opts: ExecOptions): Promise<ExecResult> {
    return this.engine('container.exec', 'run a command in the container', () =>
      runExec(this.docker, id, opts),
    );
  }

  execInteractive(
    id: string,
    opts: ExecOptions & { cols?: number; rows?: number },
  ): Promise<InteractiveExec> {
    return this.engine('container.exec_tty', 'open a terminal in the container', () =>
      openTerminal(this.docker, id, opts),
    );
  }

  async *logs(
    id: string,
    opts: { tail?: number; follow: boolean; signal?: AbortSignal },
  ): AsyncIterable<LogChunk> {
    const container = this.docker.getContainer(id);
    const base = {
      stdout: true,
      stderr: true,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      timestamps: false,
    } as const;
    if (!opts.follow) {
      const buf = await this.engine('container.logs', 'read logs', () =>
        container.logs({ ...base, follow: false }),
      );
      yield* demuxFrames(
        (async function* () {
          yield buf;
        })(),
      );
      return;
    }
    const stream = (await this.engine('container.logs', 'follow logs', () =>
      container.logs({ ...base, follow: true }),
    )) as unknown as Readable;
    const abort = () => stream.destroy();
    opts.signal?.addEventListener('abort', abort, { once: true });
    try {
      yield* demuxFrames(stream as AsyncIterable<Buffer>);
    } catch (err) {
      if (!opts.signal?.aborted) throw toBerthError(err, 'follow logs');
    } finally {
      opts.signal?.removeEventListener('abort', abort);
      stream.destroy();
    }
  }

  stats(id: string, opts: { quick?: boolean } = {}): Promise<ContainerStats> {
    return readStats(this.docker, this.calls, this.lastCpu, id, opts);
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.engine('volume.create', `create volume ${name}`, () =>
      this.docker.createVolume({ Name: name, Labels: labels }),
    );
  }

  async removeVolume(name: string): Promise<void> {
    await this.timed('volume.remove', async () => {
      try {
        await this.docker.getVolume(name).remove();
      } catch (err) {
        if (engineStatus(err) === 404) return;
        throw toBerthError(err, `remove volume ${name}`);
      }
    });
  }

  listManagedVolumes(): Promise<VolumeInfo[]> {
    return this.volumes(managedFilter(this.home));
  }

  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    return this.volumes({ label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) });
  }

  private async volumes(filters: Record<string, string[]>): Promise<VolumeInfo[]> {
    const res = await this.engine('volume.list', 'list volumes', () => this.docker.listVolumes({ filters }));
    return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  async inspectVolume(name: string): Promise<VolumeInfo | null> {
    return this.timed('volume.inspect', async () => {
      try {
        const v = await this.docker.getVolume(name).inspect();
        return { name: v.Name, labels: v.Labels ?? {} };
      } catch (err) {
        if (engineStatus(err) === 404) return null;
        throw toBerthError(err, `inspect volume ${name}`);
      }
    });
  }

  async putArchive(id: string, path: string, tar: Buffer): Promise<void> {
    await this.engine('container.put_archive', 'copy files into the container', () =>
      this.docker.getContainer(id).putArchive(tar, { path }),
    );
  }

  events(
    signal: AbortSignal,
    onEvent: (e: RuntimeEvent) => void,
    onReconnect?: () => void,
    sinceSeconds = Math.floor(Date.now() / 1000),
  ): Promise<void> {
    return followEvents(this.docker, this.home, signal, onEvent, onReconnect, sinceSeconds);
  }
}

interface DockerInfo {
  ServerVersion?: string;
  Runtimes?: Record<string, unknown>;
  CgroupVersion?: string;
}
