import type { BerthConfig } from '../config/config.js';
import { DEFAULT_IMAGE } from '../config/config.js';
import { BerthError, Conflict, EngineError, InvalidInput } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import { LABEL_AGENTS_SET, LABEL_MANAGED, LABEL_ROLE, ROLE_AGENTS, ROLE_HELPER } from '../runtime/labels.js';
import type { ContainerRuntime, ContainerSpec } from '../runtime/runtime.js';
import { sessionTrust } from '../runtime/session-trust.js';
import {
  AGENT_TOOLS,
  AGENTS_MANIFEST,
  AGENTS_MOUNT,
  type AgentTool,
  type AgentToolsManifest,
  agentsVolumeName,
  fillScript,
  parseManifest,
  toolSetHash,
} from './agent-tools.js';

export type ToolsProgress = (line: string) => void;

export interface AgentToolsStatus {
  volume: string;
  /** The pinned set, as this berth would install it. */
  pinned: Array<Pick<AgentTool, 'bin' | 'package' | 'version' | 'needs'>>;
  /** What the volume holds: null when it is not (completely) filled. */
  installed: AgentToolsManifest | null;
}

/** Volumes found filled, by name, for this process: a second session reads no manifest again. */
const filled = new Map<string, AgentToolsManifest>();
const FILL_WAIT_MS = 20 * 60_000;

/**
 * berth's agents volume: filled once by `npm install` in a short-lived container of the session
 * image (given the CA bundle and proxy variables sessions get), then mounted read-only into agent
 * sessions. Completion is the manifest the fill writes last; a fill that fails removes the volume.
 * Two fills of one set never run at once: the fill container's fixed name is the lock, across
 * processes too.
 */
export class AgentToolsVolume {
  readonly tools: readonly AgentTool[];
  readonly name: string;
  private readonly image: string;
  private filling: Promise<AgentToolsManifest> | null = null;

  constructor(
    private readonly deps: {
      runtime: ContainerRuntime;
      config: Pick<BerthConfig, 'caBundle' | 'sessionProxyEnv' | 'sessionNetwork'>;
      logger: Logger;
      /** Another set (tests); default the pinned AGENT_TOOLS. */
      tools?: readonly AgentTool[];
      /** Where npm runs: berth's session image (it has Node and npm). */
      image?: string;
    },
  ) {
    this.tools = deps.tools ?? AGENT_TOOLS;
    this.name = agentsVolumeName(this.tools);
    this.image = deps.image ?? DEFAULT_IMAGE;
  }

  private get set(): string {
    return toolSetHash(this.tools);
  }

  /** The manifest of a completely filled volume, or null (no volume, or a fill not finished). */
  async installed(): Promise<AgentToolsManifest | null> {
    if (!(await this.deps.runtime.inspectVolume(this.name))) {
      filled.delete(this.name);
      return null;
    }
    const known = filled.get(this.name);
    if (known) return known;
    if (!(await this.deps.runtime.imageExists(this.image))) return null;
    const r = await this.runOnce({
      name: `berth-agents-read-${this.set}-${Math.random().toString(16).slice(2, 8)}`,
      command: ['cat', `${AGENTS_MOUNT}/${AGENTS_MANIFEST}`],
      readOnly: true,
      network: 'none',
    });
    const m = r.exitCode === 0 ? parseManifest(r.output, this.set) : null;
    if (m) filled.set(this.name, m);
    return m;
  }

  async status(): Promise<AgentToolsStatus> {
    return {
      volume: this.name,
      pinned: this.tools.map(({ bin, package: pkg, version, needs }) => ({
        bin,
        package: pkg,
        version,
        needs,
      })),
      installed: await this.installed(),
    };
  }

  /** Filled already, or filled now (progress lines as npm goes); `force` installs afresh. */
  async ensure(
    progress: ToolsProgress = () => {},
    opts: { force?: boolean } = {},
  ): Promise<AgentToolsManifest> {
    if (!opts.force) {
      const m = await this.installed();
      if (m) return m;
    }
    if (this.filling) {
      progress('waiting for the agents being installed');
      return this.filling;
    }
    this.filling = this.fill(progress, opts.force === true).finally(() => {
      this.filling = null;
    });
    return this.filling;
  }

  private async fill(progress: ToolsProgress, force: boolean): Promise<AgentToolsManifest> {
    const { runtime } = this.deps;
    if (!(await runtime.imageExists(this.image))) {
      throw new InvalidInput(
        `installing the agents needs berth's session image ${this.image}, which is missing`,
        {
          hint: 'build it with `berth image build` (or `berth image bootstrap` first when offline)',
        },
      );
    }
    if (force) {
      filled.delete(this.name);
      await runtime.removeVolume(this.name).catch((err) => {
        throw new Conflict(
          `the agents' volume ${this.name} is in use by sessions: it cannot be installed afresh`,
          {
            hint: 'stop or finish the agent sessions first (`berth ls`)',
            cause: err,
          },
        );
      });
    }
    const lock = `berth-agents-fill-${this.set}`;
    const deadline = Date.now() + FILL_WAIT_MS;
    while (Date.now() < deadline) {
      await runtime.createVolume(this.name, {
        [LABEL_MANAGED]: 'true',
        [LABEL_ROLE]: ROLE_AGENTS,
        [LABEL_AGENTS_SET]: this.set,
      });
      const list = this.tools.map((t) => `${t.bin} ${t.version}`).join(', ');
      progress(`installing the agents (${list}) into volume ${this.name}: once, several hundred MB`);
      let r: { exitCode: number; output: string };
      try {
        r = await this.runOnce(
          {
            name: lock,
            command: ['sh', '-c', fillScript(this.tools), 'berth-agents-fill', this.set],
            readOnly: false,
            network: this.deps.config.sessionNetwork,
          },
          progress,
        );
      } catch (err) {
        if (!isNameConflict(err)) throw err;
        progress('another berth is installing the agents: waiting for it');
        await this.waitGone(lock, deadline);
        const m = await this.installed();
        if (m) return m;
        continue;
      }
      if (r.exitCode !== 0) {
        filled.delete(this.name);
        await runtime
          .removeVolume(this.name)
          .catch((err) =>
            this.deps.logger.warn({ err, volume: this.name }, 'could not remove a failed fill'),
          );
        const tail = r.output.trim().split('\n').slice(-6).join('\n');
        throw new EngineError(`installing the agents failed (exit ${r.exitCode}):\n${tail}`, {
          hint:
            'sessions must reach the npm registry: check the proxy (BERTH_SESSION_PROXY) and CA bundle ' +
            '(BERTH_CA_BUNDLE), then try again with `berth image agents`',
        });
      }
      const m = await this.installed();
      // Removed in between (`berth image agents --prune` of another berth): install again.
      if (!m && !(await runtime.inspectVolume(this.name))) continue;
      if (!m) throw new EngineError(`the agents' install finished but ${this.name} holds no manifest`);
      this.deps.logger.info({ volume: this.name, sizeBytes: m.sizeBytes }, 'agents installed');
      return m;
    }
    throw new EngineError(`the agents were still being installed after ${FILL_WAIT_MS / 60_000} minutes`);
  }

  /** Until the named container is gone; one left exited by a process that died is removed. */
  private async waitGone(name: string, deadline: number): Promise<void> {
    let stoppedSince: number | null = null;
    while (Date.now() < deadline) {
      const c = await this.deps.runtime.inspect(name);
      if (!c) return;
      if (c.status === 'running' || c.status === 'restarting') stoppedSince = null;
      else stoppedSince ??= Date.now();
      if (stoppedSince !== null && Date.now() - stoppedSince > 10_000) {
        await this.deps.runtime.remove(c.id);
        return;
      }
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** A short-lived container with the volume: its output (lines to `onLine` too) and exit code. */
  private async runOnce(
    opts: { name: string; command: string[]; readOnly: boolean; network: string },
    onLine?: ToolsProgress,
  ): Promise<{ exitCode: number; output: string }> {
    const { runtime } = this.deps;
    const trust = opts.readOnly ? { mounts: [], env: {} } : await sessionTrust(this.deps.config);
    if (opts.network !== 'none') await runtime.ensureSessionNetwork(opts.network);
    const spec: ContainerSpec = {
      name: opts.name,
      image: this.image,
      command: opts.command,
      // Root in the container (every capability dropped): the volume's files are root's, read by all.
      user: '0:0',
      env: { ...trust.env, HOME: '/tmp' },
      workingDir: '/tmp',
      labels: { [LABEL_MANAGED]: 'true', [LABEL_ROLE]: ROLE_HELPER },
      mounts: [
        { type: 'volume', source: this.name, target: AGENTS_MOUNT, readOnly: opts.readOnly },
        ...trust.mounts,
      ],
      cpus: 2,
      memoryBytes: 2 * 1024 ** 3,
      pids: 4096,
      network: opts.network,
    };
    const id = await runtime.create(spec);
    try {
      await runtime.start(id);
      let output = '';
      let partial = '';
      for await (const chunk of runtime.logs(id, { follow: true })) {
        const text = chunk.data.toString('utf8');
        output += text;
        if (output.length > 1_000_000) output = output.slice(-500_000);
        if (!onLine) continue;
        const lines = (partial + text).split(/\r?\n/);
        partial = lines.pop() ?? '';
        for (const l of lines) if (l.trim()) onLine(l.trimEnd());
      }
      if (onLine && partial.trim()) onLine(partial.trimEnd());
      let state = await runtime.inspect(id);
      for (let i = 0; i < 50 && state?.status === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        state = await runtime.inspect(id);
      }
      return { exitCode: state?.exitCode ?? -1, output };
    } finally {
      await runtime
        .remove(id)
        .catch((err) => this.deps.logger.warn({ err, container: id }, 'could not remove a helper container'));
    }
  }
}

function isNameConflict(err: unknown): boolean {
  const cause = err instanceof BerthError ? (err as { cause?: unknown }).cause : err;
  return (cause as { statusCode?: number } | null)?.statusCode === 409;
}
