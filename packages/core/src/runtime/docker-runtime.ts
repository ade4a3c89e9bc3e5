import type { Readable } from 'node:stream';
import Docker from 'dockerode';
import { InvalidInput } from '../errors/berth-error.js';
import { DockerImages } from './docker-images.js';
import { DockerRelayHost } from './docker-relay-host.js';
import { engineMessage, engineStatus, toBerthError } from './engine-errors.js';
import { BoundedOutput, EXEC_OUTPUT_LIMIT, endProcessTree } from './exec-output.js';
import type { ImageEngine } from './images.js';
import { LABEL_MANAGED, managedFilter } from './labels.js';
import type { RelayHost } from './relay-host.js';
import type {
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStats,
  ContainerStatus,
  EngineCallObserver,
  EngineInfo,
  ExecOptions,
  ExecResult,
  InteractiveExec,
  LogChunk,
  RuntimeEvent,
  VolumeInfo,
} from './runtime.js';

function envList(env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);
}

/** Splits Docker's multiplexed stdout/stderr frames (8-byte header, then payload). */
async function* demuxFrames(source: AsyncIterable<Buffer>): AsyncGenerator<LogChunk> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      const stream = pending[0] === 2 ? 'stderr' : 'stdout';
      yield { stream, data: pending.subarray(8, 8 + size) };
      pending = pending.subarray(8 + size);
    }
  }
}

const SESSION_NETWORK_OPTIONS = {
  // Sessions share one bridge but cannot reach each other: inter-container traffic is off.
  'com.docker.network.bridge.enable_icc': 'false',
};

/**
 * A network of that name made by someone else (or an older tool) is only used when it keeps
 * sessions apart as berth's own does: on a bridge with inter-container traffic on, one session's
 * agent would reach every other session's ports.
 */
function assertSessionsApart(net: Docker.NetworkInspectInfo): void {
  const icc = net.Options?.['com.docker.network.bridge.enable_icc'];
  if (net.Driver === 'bridge' && icc === 'false') return;
  throw new InvalidInput(
    `network ${net.Name} exists and does not keep sessions apart (driver ${net.Driver}, enable_icc ${icc ?? 'unset'}): sessions on it could reach each other`,
    {
      hint: `remove it (\`docker network rm ${net.Name}\`) so berth makes its own, or set BERTH_NETWORK to another name`,
    },
  );
}

/**
 * The exact options the driver hands the engine to create a session's container: pure, so that
 * what berth asks for can be read (and repeated, by the benchmark's raw side) without an engine.
 */
export function dockerCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.command ? { Cmd: spec.command } : {}),
    User: spec.user,
    Env: envList(spec.env),
    WorkingDir: spec.workingDir,
    Labels: spec.labels,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      // A named volume and a host path share the Binds syntax: `name:/target` or `/path:/target`.
      Binds: spec.mounts.map((m) => `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`),
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
      PidsLimit: spec.pids,
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      NanoCpus: Math.round(spec.cpus * 1e9),
      Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 8192 }],
      NetworkMode: spec.network,
      ...(spec.extraHosts?.length ? { ExtraHosts: spec.extraHosts } : {}),
      ...(spec.runtime ? { Runtime: spec.runtime } : {}),
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}

/** Kept for callers of the driver's mapper; it lives in engine-errors.ts. */
export { toBerthError };

export class DockerRuntime implements ContainerRuntime {
  /** The image side of the port, on the same engine client. */
  readonly images: ImageEngine;
  private readonly docker: Docker;
  private readonly home: string;
  private readonly lastCpu = new Map<string, { total: number; system: number }>();
  private readonly onCall: EngineCallObserver | undefined;

  /** `onCall` hears of every engine call (metrics); it is never allowed to fail one. */
  constructor(opts: { home: string; docker?: Docker; onCall?: EngineCallObserver }) {
    this.docker = opts.docker ?? new Docker();
    this.images = new DockerImages(this.docker);
    this.home = opts.home;
    this.onCall = opts.onCall;
  }

  /** Times one engine call for the observer under a short stable name such as `container.start`. */
  private async timed<T>(op: string, call: () => Promise<T>): Promise<T> {
    const observe = this.onCall;
    if (!observe) return call();
    const started = performance.now();
    let ok = false;
    try {
      const result = await call();
      ok = true;
      return result;
    } finally {
      try {
        observe(op, (performance.now() - started) / 1000, ok);
      } catch {
        // A broken observer loses a sample, never the call.
      }
    }
  }

  /** One engine call: timed, and its failure turned into berth's errors (`what` reads in a message). */
  private engine<T>(op: string, what: string, call: () => Promise<T>): Promise<T> {
    return this.timed(op, async () => {
      try {
        return await call();
      } catch (err) {
        throw toBerthError(err, what);
      }
    });
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

  async ensureSessionNetwork(name: string): Promise<void> {
    const existing = await this.engine('network.list', 'list networks', () =>
      this.docker.listNetworks({ filters: { name: [name] } }),
    );
    const named = existing.filter((n) => n.Name === name);
    if (named.length > 1) await this.dropDuplicateNetworks(name);
    if (named.length > 0) return assertSessionsApart(named[0]!);
    try {
      await this.timed('network.create', () =>
        this.docker.createNetwork({
          Name: name,
          Driver: 'bridge',
          CheckDuplicate: true,
          Options: SESSION_NETWORK_OPTIONS,
          Labels: { [LABEL_MANAGED]: 'true' },
        }),
      );
    } catch (err) {
      // Two daemons (or two creates) raced to make it: fine if it exists now.
      const again = await this.timed('network.list', () =>
        this.docker.listNetworks({ filters: { name: [name] } }),
      );
      if (!again.some((n) => n.Name === name)) throw toBerthError(err, `create network ${name}`);
    }
    await this.dropDuplicateNetworks(name);
  }

  async networkGateway(name: string): Promise<string | null> {
    const info = await this.engine('network.inspect', `inspect network ${name}`, () =>
      this.docker.getNetwork(name).inspect(),
    );
    const configs = (info.IPAM?.Config ?? []) as Array<{ Gateway?: string }>;
    return configs.map((c) => c.Gateway).find((g): g is string => Boolean(g)) ?? null;
  }

  /**
   * The engine's duplicate check is best effort: two creates at once can both succeed, and then
   * every container naming the network fails as "ambiguous". Every racer keeps the same one (the
   * lowest id) and removes the rest, which nothing can have joined yet.
   */
  private async dropDuplicateNetworks(name: string): Promise<void> {
    const all = await this.timed('network.list', () =>
      this.docker.listNetworks({ filters: { name: [name] } }),
    );
    const same = all.filter((n) => n.Name === name && n.Labels?.[LABEL_MANAGED] === 'true');
    if (same.length < 2) return;
    const [, ...extra] = same.map((n) => n.Id).sort();
    await Promise.all(
      extra.map((id) =>
        this.docker
          .getNetwork(id)
          .remove()
          .catch(() => undefined),
      ),
    );
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

  async address(id: string, network: string): Promise<string | null> {
    const info = await this.engine('container.inspect', 'inspect the container', () =>
      this.docker.getContainer(id).inspect(),
    );
    return info.NetworkSettings?.Networks?.[network]?.IPAddress || null;
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

  async exec(id: string, opts: ExecOptions): Promise<ExecResult> {
    return this.engine('container.exec', 'run a command in the container', async () => {
      const container = this.docker.getContainer(id);
      const hasStdin = opts.stdin !== undefined;
      const exec = await container.exec({
        Cmd: opts.cmd,
        Env: envList(opts.env),
        ...(opts.user ? { User: opts.user } : {}),
        ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
        AttachStdout: true,
        AttachStderr: true,
        AttachStdin: hasStdin,
        Tty: false,
      });
      const stream = await exec.start({ hijack: true, stdin: hasStdin });
      const limit = opts.maxOutputBytes ?? EXEC_OUTPUT_LIMIT;
      const stdout = new BoundedOutput(limit, opts.stdout);
      const stderr = new BoundedOutput(limit);
      let truncated = false;
      if (hasStdin) stream.end(opts.stdin);
      try {
        // Read as it is taken (a sink's backpressure reaches the command), never past the limit.
        for await (const frame of demuxFrames(stream)) {
          const kept = await (frame.stream === 'stderr' ? stderr : stdout).take(frame.data);
          if (!kept) {
            truncated = true;
            break;
          }
        }
      } catch (err) {
        // A connection the engine closes without an end is an end; anything else is a failure.
        if ((err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
      } finally {
        stream.destroy();
      }
      let info = await exec.inspect();
      if (truncated && info.Running && info.Pid) {
        await endProcessTree(info.Pid, info.ContainerID);
        info = await this.settled(exec, info);
      }
      return {
        exitCode: info.Running ? -1 : (info.ExitCode ?? -1),
        stdout: stdout.bytes(),
        stderr: stderr.bytes(),
        truncated,
      };
    });
  }

  /** The exec once the engine has seen its process end (a few hundred ms at most), or as it is. */
  private async settled(exec: Docker.Exec, info: Docker.ExecInspectInfo): Promise<Docker.ExecInspectInfo> {
    for (let i = 0; i < 20 && info.Running; i++) {
      await new Promise((r) => setTimeout(r, 50));
      info = await exec.inspect();
    }
    return info;
  }

  async execInteractive(
    id: string,
    opts: ExecOptions & { cols?: number; rows?: number },
  ): Promise<InteractiveExec> {
    return this.engine('container.exec_tty', 'open a terminal in the container', async () => {
      const exec = await this.docker.getContainer(id).exec({
        Cmd: opts.cmd,
        Env: envList(opts.env),
        ...(opts.user ? { User: opts.user } : {}),
        ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
        AttachStdin: true,
        AttachStdout: true,
        AttachStderr: true,
        Tty: true,
      });
      const stream = await exec.start({ hijack: true, stdin: true, Tty: true });
      const resize = async (cols: number, rows: number) => {
        await exec.resize({ w: cols, h: rows }).catch(() => undefined);
      };
      if (opts.cols && opts.rows) await resize(opts.cols, opts.rows);
      const exited = new Promise<number>((resolve) => {
        const done = () => {
          exec.inspect().then(
            (i) => resolve(i.ExitCode ?? -1),
            () => resolve(-1),
          );
        };
        stream.once('end', done);
        stream.once('close', done);
      });
      // The socket Docker hands over has no error listener: a peer gone mid-write (EPIPE) or the
      // engine restarting (ECONNRESET) would otherwise take the whole process down. It ends the
      // terminal instead; whoever holds it hears of it through their own listener and \`exited\`.
      stream.on('error', () => stream.destroy());
      return { stream, resize, exited };
    });
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

  async stats(id: string, opts: { quick?: boolean } = {}): Promise<ContainerStats> {
    // One-shot stats answer in ~17 ms but carry no previous CPU sample: keep our own.
    const sample = async () =>
      (await this.engine('container.stats', 'read stats', () =>
        this.docker.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false }),
      )) as unknown as DockerStats;
    let s = await sample();
    let prev = this.lastCpu.get(id);
    if (!prev && opts.quick) prev = { total: s.cpu_stats.cpu_usage.total_usage, system: 0 };
    if (!prev) {
      prev = { total: s.cpu_stats.cpu_usage.total_usage, system: s.cpu_stats.system_cpu_usage ?? 0 };
      await new Promise((r) => setTimeout(r, 200));
      s = await sample();
    }
    const total = s.cpu_stats.cpu_usage.total_usage;
    const system = s.cpu_stats.system_cpu_usage ?? 0;
    this.lastCpu.set(id, { total, system });
    const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
    const dSystem = system - prev.system;
    const cpuPercent = dSystem > 0 ? ((total - prev.total) / dSystem) * cpus * 100 : 0;
    const nets = Object.values(s.networks ?? {});
    const cache = s.memory_stats.stats?.cache ?? s.memory_stats.stats?.inactive_file ?? 0;
    return {
      cpuPercent: Math.max(0, Math.round(cpuPercent * 100) / 100),
      cpuUsageNanos: total,
      memoryBytes: Math.max(0, (s.memory_stats.usage ?? 0) - cache),
      memoryLimitBytes: s.memory_stats.limit ?? 0,
      networkRxBytes: nets.reduce((a, n) => a + n.rx_bytes, 0),
      networkTxBytes: nets.reduce((a, n) => a + n.tx_bytes, 0),
      pids: s.pids_stats?.current ?? 0,
    };
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

  async listManagedVolumes(): Promise<VolumeInfo[]> {
    const res = await this.engine('volume.list', 'list volumes', () =>
      this.docker.listVolumes({
        filters: managedFilter(this.home),
      }),
    );
    return (res.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  async listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]> {
    const res = await this.engine('volume.list', 'list volumes', () =>
      this.docker.listVolumes({
        filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) },
      }),
    );
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

  async events(
    signal: AbortSignal,
    onEvent: (e: RuntimeEvent) => void,
    onReconnect?: () => void,
    sinceSeconds = Math.floor(Date.now() / 1000),
  ): Promise<void> {
    let since = sinceSeconds;
    let backoff = 250;
    while (!signal.aborted) {
      try {
        // The engine sends no headers until the first event: the signal must reach the request.
        const stream = (await this.docker.getEvents({
          abortSignal: signal,
          since,
          filters: {
            type: ['container'],
            ...managedFilter(this.home),
            event: ['create', 'die', 'destroy', 'start', 'pause', 'unpause'],
          },
        })) as unknown as Readable;
        backoff = 250;
        const abort = () => stream.destroy();
        signal.addEventListener('abort', abort, { once: true });
        let buf = '';
        try {
          for await (const chunk of stream) {
            buf += chunk.toString();
            let nl = buf.indexOf('\n');
            while (nl >= 0) {
              const line = buf.slice(0, nl);
              buf = buf.slice(nl + 1);
              nl = buf.indexOf('\n');
              if (!line.trim()) continue;
              const ev = JSON.parse(line) as DockerEvent;
              since = Math.max(since, ev.time);
              const labels = ev.Actor?.Attributes ?? {};
              const containerId = ev.Actor?.ID ?? ev.id ?? '';
              if (ev.Action === 'die') {
                const code = Number(labels.exitCode);
                onEvent({ kind: 'die', containerId, exitCode: Number.isFinite(code) ? code : null, labels });
              } else if (ev.Action === 'destroy') {
                onEvent({ kind: 'destroy', containerId, labels });
              } else if (
                ev.Action === 'create' ||
                ev.Action === 'start' ||
                ev.Action === 'pause' ||
                ev.Action === 'unpause'
              ) {
                onEvent({ kind: ev.Action, containerId, labels });
              }
            }
          }
        } finally {
          signal.removeEventListener('abort', abort);
        }
      } catch {
        // Engine gone or stream broken: retry below with backoff.
      }
      if (signal.aborted) return;
      await new Promise((r) => setTimeout(r, backoff));
      backoff = Math.min(backoff * 2, 5000);
      onReconnect?.();
    }
  }
}

interface DockerEvent {
  Action: string;
  id?: string;
  time: number;
  Actor?: { ID: string; Attributes?: Record<string, string> };
}

interface DockerInfo {
  ServerVersion?: string;
  Runtimes?: Record<string, unknown>;
  CgroupVersion?: string;
}

interface DockerStats {
  cpu_stats: {
    cpu_usage: { total_usage: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  memory_stats: { usage?: number; limit?: number; stats?: { cache?: number; inactive_file?: number } };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  pids_stats?: { current?: number };
}
