import type { AgentSessions } from '../agents/agent-sessions.js';
import type { BerthConfig } from '../config/config.js';
import { SessionNetworks } from '../egress/session-networks.js';
import { Conflict, IllegalTransition, InvalidInput } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import type { PreviewManager } from '../previews/preview-manager.js';
import { checkPreviewRequest } from '../previews/project-detection.js';
import type {
  ContainerRuntime,
  ContainerState,
  ContainerStats,
  ExecResult,
  InteractiveExec,
  LogChunk,
} from '../runtime/runtime.js';
import type { Secrets } from '../secrets/secrets.js';
import type { SessionPatch, SessionStore } from '../store/store.js';
import type { RemoteRepos } from '../workspace/remote-repos.js';
import type { WorkCollector } from '../workspace/work-collector.js';
import type { WorkingCopies } from '../workspace/working-copies.js';
import { assertCapacity } from './capacity.js';
import { type CreateSessionInput, type Progress, SessionCreator } from './create-session.js';
import { changeIdlePolicy } from './profiles.js';
import { branchFor, isTerminal, type LiveSession, parseSessionName, type Session } from './session.js';
import {
  agentFeature,
  beforeStart,
  eachFeature,
  networkFeature,
  previewFeature,
  type SessionFeature,
  sshKeyFeature,
} from './session-features.js';
import { checkDescription, checkLimits } from './session-input.js';
import type { SessionLedger } from './session-ledger.js';
import { type FinishOptions, SessionWork } from './session-work.js';
import { assertCanPause, assertRunning, assertVerb, requireContainer } from './state-machine.js';

export type { CreateSessionInput, Progress } from './create-session.js';
export type { FinishOptions } from './session-work.js';

export interface SessionChange {
  name?: string;
  description?: string;
  cpus?: number;
  memoryBytes?: number;
  idleTimeoutSeconds?: number;
  idleAction?: Session['idle']['action'];
}

export interface StatusChangeOptions {
  /** Recorded as the session's statusReason (and in its event). */
  reason?: string;
  /** Checked under the session's lock: false leaves the session as it is. */
  onlyIf?: (s: Session) => boolean;
}

export interface SessionServiceDeps {
  config: BerthConfig;
  /** The sessions' records, locks and activity. */
  ledger: SessionLedger;
  store: SessionStore;
  runtime: ContainerRuntime;
  workspaces: WorkingCopies;
  /** Turns the working copy into a commit and a bundle, whether or not the image has git. */
  collector: Pick<WorkCollector, 'collect'>;
  logger: Logger;
  /** Sealed secrets (a session's SSH key); without it sessions cannot take a key. */
  secrets?: Secrets;
  /** Caches of remote repositories; without it --repo takes local paths only. */
  remotes?: RemoteRepos;
  /** Dev servers, their host ports and forwarders; none: sessions cannot have previews. */
  previews?: PreviewManager;
  /** Agent profiles, state volumes and credentials; without it, agent sessions are refused. */
  agents?: AgentSessions;
  /** Each session's network: its own, filtered, or the shared one (the default without it). */
  networks?: SessionNetworks;
}

/**
 * The verbs on a session: check the state, act on the container, tell every feature, record the
 * change. Making a session is SessionCreator's; its work going out (diff, finish, discard) is
 * SessionWork's; the record and its locks are the ledger's.
 */
export class SessionService {
  private readonly features: readonly SessionFeature[];
  private readonly creator: SessionCreator;
  readonly work: SessionWork;

  constructor(private readonly deps: SessionServiceDeps) {
    const networks = deps.networks ?? new SessionNetworks({ ...deps, gateway: null });
    // Released in this order once the container is gone: previews, network, key, agent.
    this.features = [
      ...(deps.previews ? [previewFeature(deps.previews, deps.logger)] : []),
      networkFeature(networks),
      ...(deps.secrets ? [sshKeyFeature(deps.secrets)] : []),
      ...(deps.agents ? [agentFeature(deps.agents)] : []),
    ];
    this.creator = new SessionCreator({ ...deps, networks });
    this.work = new SessionWork({ ...deps, features: this.features });
  }

  get ledger(): SessionLedger {
    return this.deps.ledger;
  }

  list(): Promise<Session[]> {
    return this.deps.ledger.list();
  }

  /** By name or id. */
  get(ref: string): Promise<Session> {
    return this.deps.ledger.get(ref);
  }

  create(input: CreateSessionInput, progress: Progress = () => {}): Promise<Session> {
    return this.creator.create(input, progress);
  }

  diff(ref: string): ReturnType<SessionWork['diff']> {
    return this.work.diff(ref);
  }

  finish(ref: string, message: string, opts: FinishOptions = {}): Promise<Session> {
    return this.work.finish(ref, message, opts);
  }

  /** Runs a verb on a session with a container, under its lock; `noop` leaves the session as it is. */
  private verb(
    ref: string,
    verb: 'pause' | 'resume' | 'stop' | 'start',
    work: (s: LiveSession) => Promise<Session>,
    onlyIf?: (s: Session) => boolean,
  ): Promise<Session> {
    return this.deps.ledger.act(ref, async (s) => {
      if (onlyIf && !onlyIf(s)) return s;
      if (assertVerb(s.name, s.status, verb) === 'noop') return s;
      return work(requireContainer(s));
    });
  }

  private assertCapacity(s: Session): Promise<void> {
    return this.deps.ledger.withCapacityLock(() => assertCapacity(this.deps, s.name, s));
  }

  /** `opts` is for berth's own callers (the idle watcher): the reason to record, a last check under the lock. */
  pause(ref: string, opts: StatusChangeOptions = {}): Promise<Session> {
    return this.verb(
      ref,
      'pause',
      async (s) => {
        assertCanPause(s.name, this.deps.runtime.capabilities);
        await this.deps.runtime.pause(s.containerId);
        return this.deps.ledger.transition(s, 'paused', opts.reason ?? null, 'pause');
      },
      opts.onlyIf,
    );
  }

  resume(ref: string): Promise<Session> {
    return this.verb(ref, 'resume', async (s) => {
      await this.assertCapacity(s);
      await this.deps.runtime.unpause(s.containerId);
      return this.deps.ledger.transition(s, 'running', null, 'resume');
    });
  }

  stop(ref: string, opts: StatusChangeOptions = {}): Promise<Session> {
    return this.verb(
      ref,
      'stop',
      async (s) => {
        if (s.status === 'paused') await this.deps.runtime.unpause(s.containerId);
        await this.deps.runtime.stop(s.containerId);
        const patch = await eachFeature(this.features, (f) => f.afterStop?.(s));
        return this.deps.ledger.transition(s, 'stopped', opts.reason ?? 'stopped by request', 'stop', patch);
      },
      opts.onlyIf,
    );
  }

  start(ref: string): Promise<Session> {
    return this.verb(ref, 'start', async (s) => {
      await this.assertCapacity(s);
      await beforeStart(this.features, s);
      await this.deps.runtime.start(s.containerId);
      const patch = await eachFeature(this.features, (f) => f.afterStart?.(s));
      return this.deps.ledger.transition(s, 'running', null, 'start', patch);
    });
  }

  restart(ref: string): Promise<Session> {
    return this.deps.ledger.act(ref, async (found) => {
      assertVerb(found.name, found.status, 'restart');
      const s = requireContainer(found);
      if (s.status === 'stopped') await this.assertCapacity(s);
      await beforeStart(this.features, s);
      await this.deps.runtime.restart(s.containerId);
      const patch = await eachFeature(this.features, (f) => f.afterStart?.(s));
      if (s.status !== 'running') return this.deps.ledger.transition(s, 'running', null, 'restart', patch);
      if (Object.keys(patch).length === 0) return (await this.deps.store.get(s.id)) ?? s;
      return this.deps.ledger.update(s, patch);
    });
  }

  /** Change a session's name (and branch), description or limits; limits reach the live container. */
  patch(ref: string, change: SessionChange): Promise<Session> {
    return this.deps.ledger.act(ref, async (s) => {
      if (s.status === 'creating') throw new IllegalTransition(`session '${s.name}' is still being created`);
      const patch: SessionPatch = {};
      if (change.description !== undefined) patch.description = checkDescription(change.description);
      if (change.idleTimeoutSeconds !== undefined || change.idleAction !== undefined) {
        patch.idle = changeIdlePolicy(s.idle, change);
      }
      if (change.cpus !== undefined || change.memoryBytes !== undefined) {
        const limits = checkLimits(change, s.limits);
        if (s.containerId && !isTerminal(s.status)) {
          await this.deps.runtime.update(s.containerId, {
            cpus: limits.cpus,
            memoryBytes: limits.memoryBytes,
          });
        }
        patch.limits = limits;
      }
      if (change.name !== undefined && change.name !== s.name) {
        const name = parseSessionName(change.name);
        if (await this.deps.store.getByName(name)) {
          throw new Conflict(`a session named '${name}' already exists`, { hint: 'pick another name' });
        }
        const repo = await this.deps.workspaces.inspectRepo(s.repo);
        await this.deps.workspaces.renameBranch(repo, s.branch, branchFor(name));
        patch.name = name;
        patch.branch = branchFor(name);
      }
      return this.deps.ledger.update(s, patch);
    });
  }

  /** The container's own state under the session: running, exit code, killed for memory. */
  async health(ref: string): Promise<{ session: Session; container: ContainerState | null }> {
    const s = await this.get(ref);
    return { session: s, container: s.containerId ? await this.deps.runtime.inspect(s.containerId) : null };
  }

  /** The running session `ref` names, for an operation on its live container. */
  private async running(ref: string, what: string): Promise<LiveSession> {
    const s = await this.get(ref);
    assertRunning(s.name, s.status, what);
    return requireContainer(s);
  }

  async exec(ref: string, cmd: string[], opts: { stdin?: Buffer | string } = {}): Promise<ExecResult> {
    const s = await this.running(ref, 'run a command');
    if (
      !Array.isArray(cmd) ||
      cmd.length === 0 ||
      cmd.some((c) => typeof c !== 'string' || c.includes('\0'))
    ) {
      throw new InvalidInput('a command is required', { hint: 'e.g. `berth exec NAME -- ls -la`' });
    }
    await this.deps.ledger.noteActivity(s.id);
    return this.deps.runtime.exec(s.containerId, {
      cmd,
      user: s.user,
      workingDir: '/workspace',
      ...(opts.stdin !== undefined ? { stdin: opts.stdin } : {}),
    });
  }

  async shell(
    ref: string,
    opts: { cmd?: string[]; cols?: number; rows?: number } = {},
  ): Promise<InteractiveExec> {
    const s = await this.running(ref, 'open a shell');
    await this.deps.ledger.noteActivity(s.id);
    return this.deps.runtime.execInteractive(s.containerId, {
      cmd:
        opts.cmd && opts.cmd.length > 0
          ? opts.cmd
          : ['/bin/sh', '-c', 'if command -v bash >/dev/null; then exec bash -l; else exec sh; fi'],
      user: s.user,
      workingDir: '/workspace',
      env: { TERM: 'xterm-256color' },
      ...(opts.cols ? { cols: opts.cols } : {}),
      ...(opts.rows ? { rows: opts.rows } : {}),
    });
  }

  /** The agent's own terminal (its tmux session); closing it detaches, the agent keeps running. */
  async attach(ref: string, opts: { cols?: number; rows?: number } = {}): Promise<InteractiveExec> {
    const s = await this.running(ref, 'attach to its agent');
    if (!this.deps.agents) throw new InvalidInput('this berth runs no agent sessions');
    return this.deps.agents.attach(s, opts);
  }

  async logs(
    ref: string,
    opts: { tail?: number; follow: boolean; signal?: AbortSignal },
  ): Promise<AsyncIterable<LogChunk>> {
    const s = requireContainer(await this.get(ref));
    return this.deps.runtime.logs(s.containerId, opts);
  }

  async stats(ref: string): Promise<ContainerStats> {
    const s = await this.running(ref, 'read stats');
    return this.deps.runtime.stats(s.containerId);
  }

  /** Removes container, working copy and branch: the session's work is discarded. */
  cancel(ref: string): Promise<Session> {
    return this.deps.ledger.act(ref, async (s) => {
      if (assertVerb(s.name, s.status, 'cancel') === 'noop') return s;
      const patch = await this.work.discard(s);
      return this.deps.ledger.transition(s, 'cancelled', 'cancelled by request', 'cancel', {
        ...patch,
        containerId: null,
        workspacePath: null,
      });
    });
  }

  /** Deletes the session's record; a live session needs `force` (which cancels it first). */
  remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    return this.deps.ledger.act(ref, async (s) => {
      if (assertVerb(s.name, s.status, 'remove') === 'force') {
        if (!opts.force) {
          throw new IllegalTransition(
            `session '${s.name}' is ${s.status}: removing it would discard its work`,
            {
              hint: `finish it (\`berth finish ${s.name} -m MSG\`), cancel it (\`berth cancel ${s.name}\`), or pass --force`,
            },
          );
        }
        await this.work.discard(s);
      } else if (s.status === 'failed') {
        await this.work.discard(s);
      }
      await this.work.forgetKey(s);
      await this.deps.ledger.forget(s);
    });
  }

  /**
   * Starts (or restarts) a running session's dev server: detected afresh, or with the given command
   * and port. The session becomes a preview session unless it runs an agent.
   */
  startPreview(ref: string, request: unknown = true, progress: Progress = () => {}): Promise<Session> {
    const wanted = checkPreviewRequest(request);
    return this.deps.ledger.act(ref, async (s) => {
      assertRunning(s.name, s.status, 'start a preview');
      const previews = this.deps.previews;
      if (!previews) throw new InvalidInput('this berth cannot run previews (no preview manager)');
      const preview = await previews.launch(requireContainer(s), wanted, progress);
      return this.deps.ledger.update(s, {
        preview,
        ...(s.kind === 'shell' ? { kind: 'preview' as const } : {}),
      });
    });
  }
}
