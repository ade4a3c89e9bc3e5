import type { Duplex, Readable, Writable } from 'node:stream';

/** berth's own view of a container: the runtime port speaks these types, never the engine's. */
export interface Mount {
  /** A host path, or for `type: 'volume'` the name of a volume berth made. */
  source: string;
  target: string;
  readOnly: boolean;
  type?: 'bind' | 'volume';
}

/** A Docker volume carrying berth's labels. */
export interface VolumeInfo {
  name: string;
  labels: Record<string, string>;
}

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  user: string;
  env: Record<string, string>;
  workingDir: string;
  labels: Record<string, string>;
  mounts: Mount[];
  cpus: number;
  memoryBytes: number;
  pids: number;
  network: string;
  /** `NAME:ADDRESS` lines for the container's /etc/hosts. */
  extraHosts?: string[];
  /** The engine's name for the OCI runtime (`runsc` for gVisor); unset: the engine's default. */
  runtime?: string;
}

export type ContainerStatus =
  | 'created'
  | 'running'
  | 'paused'
  | 'restarting'
  | 'exited'
  | 'dead'
  | 'removing';

export interface ContainerState {
  id: string;
  name: string;
  status: ContainerStatus;
  exitCode: number | null;
  /** Whether the OOM killer ended it; undefined where the engine's answer does not say (lists). */
  oomKilled?: boolean;
  labels: Record<string, string>;
}

export interface ExecOptions {
  cmd: string[];
  env?: Record<string, string>;
  user?: string;
  workingDir?: string;
  /**
   * The command's stdin, then end of input. A stream is read as the command takes it (its
   * backpressure reaches the source), so a bundle of any size goes in without being held whole;
   * a source that fails ends the command and fails the exec. A command that exits before reading
   * all of it is no error: its result is its own. The exec owns a stream: once it is over (or
   * could not start) the stream is destroyed, read to its end or not.
   */
  stdin?: Buffer | string | Readable;
  /**
   * Most bytes kept of stdout, and of stderr (default EXEC_OUTPUT_LIMIT): past it the command
   * and what it started are ended, and the result says `truncated`.
   */
  maxOutputBytes?: number;
  /** Where stdout goes instead of memory (its backpressure reaches the command). */
  stdout?: Writable;
}

export interface ExecResult {
  /** -1 when the engine could not say (a process it still sees running after it was ended). */
  exitCode: number;
  stdout: Buffer;
  stderr: Buffer;
  /** The output passed its limit: what is here is its start, and the command was ended. */
  truncated: boolean;
}

export interface InteractiveExec {
  /** Raw TTY stream: write keystrokes, read screen output. */
  stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the exit code once the process ends. */
  exited: Promise<number>;
}

/**
 * Opens one connection to a port inside a session; each call a new one. Docker's is TCP to the
 * container's address; a driver whose containers have no address the daemon can route to (a
 * port-forward through an API server) gives a stream of its own. It never throws: a connection
 * that cannot be made ends with an `error` on the stream, as a refused TCP connect does.
 */
export type Dialer = () => Duplex;

export interface ContainerStats {
  cpuPercent: number;
  /** CPU time the container has used since it started, in nanoseconds (cumulative). */
  cpuUsageNanos: number;
  memoryBytes: number;
  memoryLimitBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  pids: number;
}

export type RuntimeEvent =
  | { kind: 'die'; containerId: string; exitCode: number | null; labels: Record<string, string> }
  | { kind: 'destroy'; containerId: string; labels: Record<string, string> }
  | { kind: 'create' | 'start' | 'pause' | 'unpause'; containerId: string; labels: Record<string, string> };

/** What the engine says about itself: enough to tell a client which isolation it can have. */
export interface EngineInfo {
  serverVersion: string;
  /** Names of the OCI runtimes the engine has registered (`runc`, `runsc` for gVisor, …). */
  runtimes: string[];
  /** `1` or `2`; empty when the engine does not say. */
  cgroupVersion: string;
}

/** Told of every engine call a runtime makes: a short stable operation name, its duration, success. */
export type EngineCallObserver = (op: string, seconds: number, ok: boolean) => void;

/**
 * What a driver can do, declared by it, so a caller can tell before it asks (a driver whose pause
 * would only stop processes, or that cannot resize a live container, says so here).
 */
export interface RuntimeCapabilities {
  /** `freeze`: pause freezes every process in place (cgroup freezer), memory kept; `none`: no pause. */
  readonly pause: 'freeze' | 'none';
  /** Whether `update` changes CPU and memory limits of a running container. */
  readonly liveResize: boolean;
  /** The figures `stats` really measures; the others it reports as 0. */
  readonly stats: readonly (keyof ContainerStats)[];
}

export interface ContainerRuntime {
  readonly capabilities: RuntimeCapabilities;
  ping(): Promise<void>;
  info(): Promise<EngineInfo>;
  imageExists(ref: string): Promise<boolean>;
  ensureSessionNetwork(name: string): Promise<void>;
  /** The network's gateway: this machine's address as its containers reach it; null when it has none. */
  networkGateway(name: string): Promise<string | null>;
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  restart(id: string, timeoutSeconds?: number): Promise<void>;
  pause(id: string): Promise<void>;
  unpause(id: string): Promise<void>;
  /** Removes the container with its anonymous volumes; a missing container is not an error. */
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerState | null>;
  /**
   * How the daemon reaches `port` inside the container, as joined to `via.network` (previews):
   * a Dialer for that port; null when the container is not on that network.
   */
  dial(id: string, port: number, via: { network: string }): Promise<Dialer | null>;
  /** New CPU and memory limits on a live container (swap kept equal to memory). */
  update(id: string, limits: { cpus?: number; memoryBytes?: number }): Promise<void>;
  /** Every container carrying berth's managed label, in any state. */
  listManaged(): Promise<ContainerState[]>;
  exec(id: string, opts: ExecOptions): Promise<ExecResult>;
  execInteractive(id: string, opts: ExecOptions & { cols?: number; rows?: number }): Promise<InteractiveExec>;
  logs(id: string, opts: { tail?: number; follow: boolean; signal?: AbortSignal }): AsyncIterable<LogChunk>;
  /** `quick`: one sample only (cpuPercent is 0 without an earlier one); for the idle watcher. */
  stats(id: string, opts?: { quick?: boolean }): Promise<ContainerStats>;
  /** Makes a named volume with these labels; an existing one of that name is kept. */
  createVolume(name: string, labels: Record<string, string>): Promise<void>;
  /** Removes a volume; a missing one is not an error. */
  removeVolume(name: string): Promise<void>;
  /** Every volume carrying berth's managed label for this BERTH_HOME. */
  listManagedVolumes(): Promise<VolumeInfo[]>;
  /** Every volume carrying all these labels, of any BERTH_HOME (berth's agents volumes have none). */
  listVolumes(labels: Record<string, string>): Promise<VolumeInfo[]>;
  /** One volume by name, whoever made it; null when there is none. */
  inspectVolume(name: string): Promise<VolumeInfo | null>;
  /** Unpacks a tar into the container's filesystem at `path` (works before the first start). */
  putArchive(id: string, path: string, tar: Buffer): Promise<void>;
  /** Engine events for berth's containers; ends when the signal aborts. Reconnects on its own. */
  events(
    signal: AbortSignal,
    onEvent: (e: RuntimeEvent) => void,
    onReconnect?: () => void,
    sinceSeconds?: number,
  ): Promise<void>;
}

export interface LogChunk {
  stream: 'stdout' | 'stderr';
  data: Buffer;
}
