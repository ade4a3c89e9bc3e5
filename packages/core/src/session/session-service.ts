import { randomUUID } from 'node:crypto';
import {
  type AgentContainerParts,
  type AgentPlan,
  type AgentSessions,
  agentFields,
} from '../agents/agent-sessions.js';
import type { Clock } from '../clock/clock.js';
import type { BerthConfig } from '../config/config.js';
import type { EgressMode } from '../egress/egress-policy.js';
import { sessionEgressFor } from '../egress/session-egress.js';
import { SessionNetworks } from '../egress/session-networks.js';
import { Conflict, GitError, IllegalTransition, InvalidInput, NotFound } from '../errors/berth-error.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import { PreviewManager } from '../previews/preview-manager.js';
import { checkPreviewRequest, type PreviewRequest } from '../previews/project-detection.js';
import { type Isolation, resolveIsolation } from '../runtime/isolation.js';
import { sessionLabels } from '../runtime/labels.js';
import { assertSafeMounts } from '../runtime/mount-policy.js';
import type {
  ContainerRuntime,
  ContainerState,
  ContainerStats,
  ExecResult,
  InteractiveExec,
  LogChunk,
  Mount,
} from '../runtime/runtime.js';
import { sessionTrust } from '../runtime/session-trust.js';
import type { Secrets } from '../secrets/secrets.js';
import type { SessionPatch, SessionStore } from '../store/store.js';
import { CONTAINER_OBJECTS_DIR, type RepoInfo } from '../workspace/git-workspace.js';
import { applyMerge, type MergePlan, planMerge } from '../workspace/merge.js';
import { cacheScopeOf, parseRemote, type RemoteRepos } from '../workspace/remote-repos.js';
import { takeSnapshot } from '../workspace/session-snapshot.js';
import { parseSshKey } from '../workspace/ssh-key.js';
import type { WorkCollector } from '../workspace/work-collector.js';
import type { WorkingCopies } from '../workspace/working-copies.js';
import { assertCapacity } from './capacity.js';
import { checkGitUser } from './git-identity.js';
import { KeyedLock } from './keyed-lock.js';
import { changeIdlePolicy, defaultLimitsFor, idlePolicyFor, sessionKindFor } from './profiles.js';
import {
  branchFor,
  type IdlePolicy,
  isTerminal,
  parseSessionName,
  type Session,
  type SessionKind,
  type SessionRuntime,
  type SessionStatus,
} from './session.js';
import { checkDescription, checkEnv, checkLimits } from './session-input.js';
import { assertRunning, assertTransition, assertVerb } from './state-machine.js';

export interface CreateSessionInput {
  /** Optional for an agent session (`berth dispatch`): a free name is made up. */
  name?: string;
  repo: string;
  branch?: string;
  image?: string;
  cpus?: number;
  memoryBytes?: number;
  env?: Record<string, string>;
  description?: string;
  /** Who asks: a berth user's id, or null for the host's owner. */
  ownerId?: string | null;
  teamId?: string | null;
  /** A private key for an ssh remote: sealed in the store, never returned or logged. */
  sshKey?: string;
  /** Who the session's commits are by (default: 'berth session' <NAME@sessions.berth.invalid>). */
  gitUser?: { name: string; email: string };
  /** Overrides the kind the other fields imply (agent → agent, preview → preview, else shell). */
  kind?: SessionKind;
  pids?: number;
  /** runc (the default, BERTH_RUNTIME) or gvisor where the engine has runsc registered. */
  runtime?: SessionRuntime;
  /** Seconds without activity before the idle action; 0 never. Default: the kind's (config.idle). */
  idleTimeoutSeconds?: number;
  idleAction?: IdlePolicy['action'];
  /** Run the project's dev server (detected, or this command and port) and publish it. */
  preview?: boolean | PreviewRequest;
  /** An agent profile to run in the session's terminal (kind 'agent'), its first prompt and autonomy. */
  agent?: string;
  prompt?: string;
  autonomy?: 'full' | 'ask';
  /** What it may reach outside itself (default BERTH_EGRESS) and hosts added to its allow-list. */
  egress?: EgressMode;
  allow?: string[];
}

export interface FinishOptions {
  /** Push berth/NAME (and the base, when merged) to the session's remote. */
  push?: boolean;
  /** Merge berth/NAME into the base branch (a remote session needs push too). */
  merge?: boolean;
}

const SSH_KEY_SCOPE = (id: string) => `session:${id}`;
const SSH_KEY_NAME = 'ssh-key';

export type Progress = (step: string) => void;

export interface SessionChange {
  name?: string;
  description?: string;
  cpus?: number;
  memoryBytes?: number;
  idleTimeoutSeconds?: number;
  idleAction?: IdlePolicy['action'];
}

export interface StatusChangeOptions {
  /** Recorded as the session's statusReason (and in its event). */
  reason?: string;
  /** Checked under the session's lock: false leaves the session as it is. */
  onlyIf?: (s: Session) => boolean;
}

export interface SessionServiceDeps {
  config: BerthConfig;
  store: SessionStore;
  runtime: ContainerRuntime;
  workspaces: WorkingCopies;
  /** Turns the working copy into a commit and a bundle, whether or not the image has git. */
  collector: Pick<WorkCollector, 'collect'>;
  events: EventBus;
  clock: Clock;
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

const CAP_KEY = '\0running-cap';
/** Activity is written at most this often per session: a typing terminal must not hammer the store. */
const ACTIVITY_WRITE_MS = 5_000;

/** Orchestrates every session operation: validate, write intent, act, undo on failure. */
export class SessionService {
  private readonly locks = new KeyedLock();
  /** Creates this process is working on: the reconciler leaves them alone. */
  private readonly inFlight = new Set<string>();
  /** When each session's activity was last written (ms since the epoch). */
  private readonly activityWrites = new Map<string, number>();
  /** When activity on each session was last seen, written or not: what the idle watcher reads. */
  private readonly activitySeen = new Map<string, number>();

  private readonly networks: SessionNetworks;

  constructor(private readonly deps: SessionServiceDeps) {
    this.networks = deps.networks ?? new SessionNetworks({ ...deps, gateway: null });
  }

  get config(): BerthConfig {
    return this.deps.config;
  }

  /**
   * Records activity on a session (API call, exec, terminal input, preview traffic, CPU use): the
   * idle timeout counts from the last one. Written at most once per ACTIVITY_WRITE_MS per session.
   */
  async noteActivity(sessionId: string): Promise<void> {
    const now = this.deps.clock.now();
    this.activitySeen.set(sessionId, now.getTime());
    const last = this.activityWrites.get(sessionId) ?? 0;
    if (now.getTime() - last < ACTIVITY_WRITE_MS) return;
    this.activityWrites.set(sessionId, now.getTime());
    const s = await this.deps.store.get(sessionId);
    if (!s || isTerminal(s.status)) {
      this.activityWrites.delete(sessionId);
      this.activitySeen.delete(sessionId);
      return;
    }
    await this.deps.store.update(sessionId, { lastActivityAt: now.toISOString() });
  }

  /** The latest activity on a session (ms since the epoch), including what is not yet written. */
  lastActivity(s: Pick<Session, 'id' | 'lastActivityAt'>): number {
    return Math.max(Date.parse(s.lastActivityAt) || 0, this.activitySeen.get(s.id) ?? 0);
  }

  isInFlight(id: string): boolean {
    return this.inFlight.has(id);
  }

  withSessionLock<T>(id: string, work: () => Promise<T>): Promise<T> {
    return this.locks.run(id, work);
  }

  async list(): Promise<Session[]> {
    return this.deps.store.list();
  }

  /** By name or id. */
  async get(ref: string): Promise<Session> {
    const s =
      typeof ref === 'string' && ref.length <= 128
        ? ((await this.deps.store.getByName(ref)) ?? (await this.deps.store.get(ref)))
        : null;
    if (!s) {
      throw new NotFound(`no session named '${String(ref).slice(0, 80)}'`, {
        hint: 'list sessions with `berth ls`',
      });
    }
    return s;
  }

  async create(input: CreateSessionInput, progress: Progress = () => {}): Promise<Session> {
    const { config, store, runtime, workspaces, clock } = this.deps;
    const remote = this.deps.remotes ? parseRemote(input.repo) : null;
    const egress = await sessionEgressFor(input, config, remote?.url ?? null);
    const plan = await this.planAgent({ ...input, viaRelay: egress !== null });
    const name = parseSessionName(
      input.name ??
        (plan
          ? await this.deps.agents!.generateName(plan.profile.name, async (n) => !!(await store.getByName(n)))
          : undefined),
    );
    const env = checkEnv(input.env);
    const kind = sessionKindFor(plan ? { ...input, agent: plan.profile.name } : input);
    const limits = checkLimits(input, defaultLimitsFor(kind, config));
    const idle = idlePolicyFor(kind, input, config);
    const isolation = await resolveIsolation(input.runtime, { runtime, config });
    const image = input.image || plan?.profile.image || config.defaultImage;
    const sshKey = input.sshKey === undefined || input.sshKey === null ? null : parseSshKey(input.sshKey);
    if (sshKey && remote?.kind !== 'ssh') {
      throw new InvalidInput('an SSH key is used only with an ssh remote (ssh://… or user@host:path)', {
        hint: 'leave out --ssh-key, or pass the repository’s ssh URL with --repo',
      });
    }
    if (sshKey && !this.deps.secrets) throw new InvalidInput('this berth cannot keep SSH keys');
    const gitUser = checkGitUser(input.gitUser, name);
    const preview = input.preview ? checkPreviewRequest(input.preview) : null;
    progress('checking the repository');
    const imagePresent = runtime.imageExists(image);
    imagePresent.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
    if (remote && (await store.getByName(name))) {
      throw new Conflict(`a session named '${name}' already exists`, {
        hint: `pick another name, or remove the old one with \`berth rm ${name}\``,
      });
    }
    const repo = remote
      ? await this.deps.remotes!.prepare(remote, sshKey, progress, cacheScopeOf(input))
      : await workspaces.inspectRepo(input.repo);
    const [base] = await Promise.all([
      workspaces.resolveBase(repo, input.branch),
      workspaces.assertBranchFree(repo, branchFor(name)),
    ]);
    if (!(await imagePresent)) {
      throw new InvalidInput(`image ${image} is not present on the Docker Engine`, {
        hint:
          image === config.defaultImage
            ? 'build it with `berth image build` (or `berth image bootstrap` first when offline)'
            : `build or pull ${image}, or leave out --image to use ${config.defaultImage}`,
      });
    }
    if (await store.getByName(name)) {
      throw new Conflict(`a session named '${name}' already exists`, {
        hint: `pick another name, or remove the old one with \`berth rm ${name}\``,
      });
    }
    const branch = branchFor(name);

    const uid = repo.ownerUid === 0 ? config.fallbackUid : repo.ownerUid;
    const gid = repo.ownerUid === 0 ? config.fallbackGid : repo.ownerGid;
    const id = randomUUID();
    const now = clock.now().toISOString();
    const session: Session = {
      id,
      name,
      status: 'creating',
      statusReason: null,
      repo: repo.root,
      baseBranch: base.branch,
      baseCommit: base.commit,
      branch,
      image,
      containerId: null,
      workspacePath: `${config.workspacesDir}/${id}`,
      limits,
      env,
      user: `${uid}:${gid}`,
      ownerId: input.ownerId ?? null,
      teamId: input.teamId ?? null,
      description: checkDescription(input.description),
      kind,
      ...agentFields(plan, now),
      remote: remote?.url ?? null,
      hasSshKey: sshKey !== null,
      gitUser,
      runtime: isolation.runtime,
      idle,
      lastActivityAt: now,
      preview: null,
      egress,
      createdAt: now,
      updatedAt: now,
    };
    // The cap check and the intent row are one step, so a burst of creates cannot overshoot.
    await this.locks.run(CAP_KEY, async () => {
      await assertCapacity(this.deps, name, session);
      await store.insert(session);
    });
    this.inFlight.add(id);
    this.deps.events.publish({ type: 'session.created', session });
    try {
      return await this.locks.run(id, () =>
        this.build(session, repo, progress, { sshKey, isolation, preview, plan }),
      );
    } finally {
      this.inFlight.delete(id);
    }
  }

  private async planAgent(input: CreateSessionInput & { viaRelay: boolean }): Promise<AgentPlan | null> {
    if (input.agent === undefined && input.prompt === undefined) return null;
    if (!this.deps.agents) throw new InvalidInput('this berth runs no agent sessions');
    return this.deps.agents.plan(input);
  }

  private async build(
    session: Session,
    repo: RepoInfo,
    progress: Progress,
    extras: {
      sshKey: string | null;
      isolation: Isolation;
      preview?: PreviewRequest | null;
      plan: AgentPlan | null;
    },
  ): Promise<Session> {
    const { config, runtime, workspaces } = this.deps;
    const { plan } = extras;
    const undo: Array<() => Promise<unknown>> = [];
    const [uid, gid] = session.user.split(':').map(Number) as [number, number];
    try {
      if (extras.sshKey) {
        await this.deps.secrets!.put(SSH_KEY_SCOPE(session.id), SSH_KEY_NAME, extras.sshKey);
      }
      progress('making the working copy');
      // create() undoes its own partial work; this undo is only for what comes after it (and it
      // must never run when create() failed on a branch that already existed).
      await workspaces.create({
        sessionId: session.id,
        branch: session.branch,
        repo,
        baseCommit: session.baseCommit,
        path: session.workspacePath!,
        uid,
        gid,
        gitUser: session.gitUser,
      });
      undo.push(() =>
        workspaces.remove({
          repoRoot: repo.root,
          sessionId: session.id,
          branch: session.branch,
          path: session.workspacePath,
          keepBranch: false,
        }),
      );
      const trust = await sessionTrust(config);
      const mounts: Mount[] = [
        { source: session.workspacePath!, target: '/workspace', readOnly: false },
        // The clone borrows the user's objects through its alternates file, which names this path.
        { source: repo.objectsDir, target: CONTAINER_OBJECTS_DIR, readOnly: true },
        ...trust.mounts,
      ];
      let agent: AgentContainerParts | null = null;
      if (plan) {
        progress('preparing the agent');
        undo.push(() => this.deps.agents!.release(session));
        agent = await this.deps.agents!.prepare(session, plan, progress);
        mounts.push(...agent.mounts);
      }
      assertSafeMounts(mounts, {
        berthHome: config.home,
        // A remote's cache lives under BERTH_HOME; only its objects are mounted, read-only.
        allowedInHome: [session.workspacePath!, ...(session.remote ? [repo.objectsDir] : [])],
        allowedFiles: trust.allowedFiles,
        secretDirs: agent?.secretDirs ?? [],
        writableDirs: agent?.writableDirs ?? [],
      });
      progress('starting the container');
      undo.push(() => this.networks.release(session));
      const net = await this.networks.attach(session);
      const containerId = await runtime.create({
        name: `berth-${session.name}-${session.id.slice(0, 8)}`,
        image: session.image,
        command: agent?.command ?? ['sleep', 'infinity'],
        user: session.user,
        env: { HOME: '/home/berth', ...trust.env, ...agent?.env, ...net.env, ...session.env },
        workingDir: '/workspace',
        labels: sessionLabels({ sessionId: session.id, sessionName: session.name, home: config.home }),
        mounts,
        cpus: session.limits.cpus,
        memoryBytes: session.limits.memoryBytes,
        pids: session.limits.pids + extras.isolation.pidsHeadroom,
        network: net.network,
        extraHosts: net.extraHosts,
        ...(extras.isolation.ociRuntime ? { runtime: extras.isolation.ociRuntime } : {}),
      });
      undo.push(() => runtime.remove(containerId));
      await this.deps.store.update(session.id, { containerId });
      if (plan) await this.deps.agents!.install(containerId, session, plan);
      await runtime.start(containerId);
      if (plan) await this.deps.agents!.awaitReady(containerId, session);
      const extra: SessionPatch = {};
      if (extras.preview) {
        const previews = this.previewManager();
        undo.push(() => previews.release(session.id));
        extra.preview = await previews.launch({ ...session, containerId }, extras.preview, progress);
      }
      return await this.transition({ ...session, containerId }, 'running', null, 'start', extra);
    } catch (err) {
      for (const step of undo.reverse()) {
        await step().catch((e) => this.deps.logger.warn({ err: e, session: session.id }, 'undo step failed'));
      }
      // Nothing half-made stays behind: the key and the intent row go too; the caller gets the reason.
      await this.forgetSecrets(session.id);
      await this.deps.store.delete(session.id);
      this.deps.events.publish({ type: 'session.deleted', id: session.id, name: session.name });
      throw err;
    }
  }

  /** Moves a session to `to` in the store and tells subscribers; illegal moves throw. */
  async transition(
    session: Session,
    to: SessionStatus,
    reason: string | null,
    verb: string,
    extra: SessionPatch = {},
  ) {
    assertTransition(session.name, session.status, to, verb);
    const now = this.deps.clock.now().toISOString();
    const updated = await this.deps.store.update(session.id, {
      ...extra,
      status: to,
      statusReason: reason,
      updatedAt: now,
      // Starting or resuming is activity: the idle timeout counts from here.
      ...(to === 'running' ? { lastActivityAt: now } : {}),
    });
    this.deps.events.publish({
      type: 'session.status.changed',
      session: updated,
      from: session.status,
      to,
      reason,
    });
    return updated;
  }

  private async act(ref: string, work: (s: Session) => Promise<Session>): Promise<Session> {
    const found = await this.get(ref);
    return this.locks.run(found.id, async () => work((await this.deps.store.get(found.id)) ?? found));
  }

  /** `opts` is for berth's own callers (the idle watcher): the reason to record, a last check under the lock. */
  pause(ref: string, opts: StatusChangeOptions = {}): Promise<Session> {
    return this.act(ref, async (s) => {
      if (opts.onlyIf && !opts.onlyIf(s)) return s;
      if (assertVerb(s.name, s.status, 'pause') === 'noop') return s;
      await this.deps.runtime.pause(s.containerId!);
      return this.transition(s, 'paused', opts.reason ?? null, 'pause');
    });
  }

  resume(ref: string): Promise<Session> {
    return this.act(ref, async (s) => {
      if (assertVerb(s.name, s.status, 'resume') === 'noop') return s;
      await this.locks.run(CAP_KEY, () => assertCapacity(this.deps, s.name, s));
      await this.deps.runtime.unpause(s.containerId!);
      return this.transition(s, 'running', null, 'resume');
    });
  }

  stop(ref: string, opts: StatusChangeOptions = {}): Promise<Session> {
    return this.act(ref, async (s) => {
      if (opts.onlyIf && !opts.onlyIf(s)) return s;
      if (assertVerb(s.name, s.status, 'stop') === 'noop') return s;
      if (s.status === 'paused') await this.deps.runtime.unpause(s.containerId!);
      await this.deps.runtime.stop(s.containerId!);
      await this.deps.previews?.release(s.id);
      return this.transition(s, 'stopped', opts.reason ?? 'stopped by request', 'stop', {
        preview: PreviewManager.suspended(s.preview),
      });
    });
  }

  start(ref: string): Promise<Session> {
    return this.act(ref, async (s) => {
      if (assertVerb(s.name, s.status, 'start') === 'noop') return s;
      await this.locks.run(CAP_KEY, () => assertCapacity(this.deps, s.name, s));
      await this.deps.agents?.beforeStart(s);
      await this.deps.runtime.start(s.containerId!);
      return this.transition(s, 'running', null, 'start', await this.relaunchPreview(s));
    });
  }

  restart(ref: string): Promise<Session> {
    return this.act(ref, async (s) => {
      assertVerb(s.name, s.status, 'restart');
      if (s.status === 'stopped') await this.locks.run(CAP_KEY, () => assertCapacity(this.deps, s.name, s));
      await this.deps.agents?.beforeStart(s);
      await this.deps.runtime.restart(s.containerId!);
      const extra = await this.relaunchPreview(s);
      if (s.status !== 'running') return this.transition(s, 'running', null, 'restart', extra);
      if (!extra.preview) return (await this.deps.store.get(s.id)) ?? s;
      const updated = await this.deps.store.update(s.id, extra);
      this.deps.events.publish({ type: 'session.updated', session: updated });
      return updated;
    });
  }

  /** Change a session's name (and branch), description or limits; limits reach the live container. */
  patch(ref: string, change: SessionChange): Promise<Session> {
    return this.act(ref, async (s) => {
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
      patch.updatedAt = this.deps.clock.now().toISOString();
      const updated = await this.deps.store.update(s.id, patch);
      this.deps.events.publish({ type: 'session.updated', session: updated });
      return updated;
    });
  }

  /** The container's own state under the session: running, exit code, killed for memory. */
  async health(ref: string): Promise<{ session: Session; container: ContainerState | null }> {
    const s = await this.get(ref);
    return { session: s, container: s.containerId ? await this.deps.runtime.inspect(s.containerId) : null };
  }

  async exec(ref: string, cmd: string[], opts: { stdin?: Buffer | string } = {}): Promise<ExecResult> {
    const s = await this.get(ref);
    assertRunning(s.name, s.status, 'run a command');
    if (
      !Array.isArray(cmd) ||
      cmd.length === 0 ||
      cmd.some((c) => typeof c !== 'string' || c.includes('\0'))
    ) {
      throw new InvalidInput('a command is required', { hint: 'e.g. `berth exec NAME -- ls -la`' });
    }
    await this.noteActivity(s.id);
    return this.deps.runtime.exec(s.containerId!, {
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
    const s = await this.get(ref);
    assertRunning(s.name, s.status, 'open a shell');
    await this.noteActivity(s.id);
    return this.deps.runtime.execInteractive(s.containerId!, {
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
    const s = await this.get(ref);
    assertRunning(s.name, s.status, 'attach to its agent');
    if (!this.deps.agents) throw new InvalidInput('this berth runs no agent sessions');
    return this.deps.agents.attach(s, opts);
  }

  async logs(
    ref: string,
    opts: { tail?: number; follow: boolean; signal?: AbortSignal },
  ): Promise<AsyncIterable<LogChunk>> {
    const s = await this.get(ref);
    if (!s.containerId)
      throw new IllegalTransition(`session '${s.name}' has no container (it is ${s.status})`);
    return this.deps.runtime.logs(s.containerId, opts);
  }

  async stats(ref: string): Promise<ContainerStats> {
    const s = await this.get(ref);
    assertRunning(s.name, s.status, 'read stats');
    return this.deps.runtime.stats(s.containerId!);
  }

  /** The session branch against its base, uncommitted work included, control characters stripped. */
  async diff(ref: string): Promise<{ session: Session; base: string; head: string; diff: string }> {
    const found = await this.get(ref);
    return this.locks.run(found.id, async () => {
      const s = (await this.deps.store.get(found.id)) ?? found;
      const repo = await this.deps.workspaces.inspectRepo(s.repo);
      let head: string;
      if (s.status === 'finished') {
        head = s.branch;
      } else if (
        s.containerId &&
        (s.status === 'running' || s.status === 'paused' || s.status === 'stopped')
      ) {
        head = await this.withLiveContainer(s, () => this.snapshot(s, repo, 'berth: snapshot for diff'));
      } else {
        throw new IllegalTransition(`session '${s.name}' has nothing to diff: it is ${s.status}`);
      }
      const diff = await this.deps.workspaces.diff(repo, s.baseCommit, head);
      return { session: s, base: s.baseCommit, head, diff };
    });
  }

  /**
   * Commits everything on the session branch, then removes the container and working copy. With
   * `merge` the base branch moves to include the work; with `push` the branch (and the merged base)
   * goes to the remote. A refused merge or a failed push changes nothing: the session keeps running.
   */
  finish(ref: string, message: string, opts: FinishOptions = {}): Promise<Session> {
    if (
      typeof message !== 'string' ||
      message.trim() === '' ||
      message.includes('\0') ||
      message.length > 65_536
    ) {
      return Promise.reject(
        new InvalidInput('a commit message is required to finish', {
          hint: 'e.g. `berth finish NAME -m "Add login"`',
        }),
      );
    }
    return this.act(ref, async (s) => {
      assertVerb(s.name, s.status, 'finish');
      if (!s.containerId) throw new IllegalTransition(`session '${s.name}' has no container to finish from`);
      const remote = s.remote && this.deps.remotes ? parseRemote(s.remote) : null;
      if (opts.push && !remote) {
        throw new InvalidInput(
          `session '${s.name}' was made from a local repository: there is no remote to push to`,
          {
            hint: `finish without --push; push ${s.branch} from ${s.repo} yourself`,
          },
        );
      }
      if (opts.merge && remote && !opts.push) {
        throw new InvalidInput(
          `merging session '${s.name}' into its remote's ${s.baseBranch} needs --push too`,
          {
            hint: `finish with --merge --push, or without --merge and open a merge request for ${s.branch}`,
          },
        );
      }
      const key = remote ? await this.sshKeyOf(s) : null;
      // The remote's base as it is now, so the merge (and its push) starts from there.
      const repo =
        opts.merge && remote
          ? await this.deps.remotes!.prepare(remote, key, () => {}, cacheScopeOf(s))
          : await this.deps.workspaces.inspectRepo(s.repo);
      const commit = await this.withLiveContainer(s, () => this.snapshot(s, repo, message));
      // Until the container goes, nothing the user sees has moved: a refusal leaves all as it was.
      let plan: MergePlan | null = null;
      if (opts.merge) {
        plan = await planMerge({
          repo,
          baseBranch: s.baseBranch,
          branch: s.branch,
          commit,
          identity: s.gitUser,
          sessionName: s.name,
        });
      }
      if (opts.push && remote) {
        const refspecs = [`${commit}:refs/heads/${s.branch}`];
        if (plan && plan.kind !== 'up-to-date') refspecs.push(`${plan.newBase}:${plan.baseRef}`);
        await this.deps.remotes!.push(repo.root, remote, key, refspecs).catch((err: Error) => {
          throw new GitError(`${err.message}; session '${s.name}' is still running, nothing was changed`, {
            hint: `fix the access and run \`berth finish ${s.name} --push\` again, or finish without --push`,
          });
        });
      }
      if (plan) {
        if (remote)
          await applyMerge(repo, plan).catch(() => undefined); // the remote has it; a fetch catches up
        else await applyMerge(repo, plan);
      }
      await this.deps.workspaces.setRef(repo, `refs/heads/${s.branch}`, commit);
      await this.deps.previews?.release(s.id);
      await this.deps.runtime.remove(s.containerId);
      await this.networks.release(s);
      await this.deps.agents?.release(s);
      await this.deps.workspaces.remove({
        repoRoot: s.repo,
        sessionId: s.id,
        branch: s.branch,
        path: s.workspacePath,
        keepBranch: true,
      });
      // The key served clone, fetch and push; the finished session needs it no more.
      await this.deps.secrets?.delete(SSH_KEY_SCOPE(s.id), SSH_KEY_NAME);
      let reason =
        commit === s.baseCommit ? 'finished with no changes' : `finished at ${commit.slice(0, 12)}`;
      if (plan?.kind === 'merge' || plan?.kind === 'fast-forward') reason += `, merged into ${s.baseBranch}`;
      if (opts.push && remote) reason += `, pushed to ${remote.url}`;
      return this.transition(s, 'finished', reason, 'finish', {
        containerId: null,
        workspacePath: null,
        hasSshKey: false,
        preview: PreviewManager.suspended(s.preview),
      });
    });
  }

  /** Removes container, working copy and branch: the session's work is discarded. */
  cancel(ref: string): Promise<Session> {
    return this.act(ref, async (s) => {
      if (assertVerb(s.name, s.status, 'cancel') === 'noop') return s;
      await this.discard(s);
      return this.transition(s, 'cancelled', 'cancelled by request', 'cancel', {
        containerId: null,
        workspacePath: null,
        preview: PreviewManager.suspended(s.preview),
      });
    });
  }

  /** Deletes the session's record; a live session needs `force` (which cancels it first). */
  async remove(ref: string, opts: { force?: boolean } = {}): Promise<void> {
    const found = await this.get(ref);
    await this.locks.run(found.id, async () => {
      const s = (await this.deps.store.get(found.id)) ?? found;
      if (assertVerb(s.name, s.status, 'remove') === 'force') {
        if (!opts.force) {
          throw new IllegalTransition(
            `session '${s.name}' is ${s.status}: removing it would discard its work`,
            {
              hint: `finish it (\`berth finish ${s.name} -m MSG\`), cancel it (\`berth cancel ${s.name}\`), or pass --force`,
            },
          );
        }
        await this.discard(s);
      } else if (s.status === 'failed') {
        await this.discard(s);
      }
      await this.forgetSecrets(s.id);
      await this.deps.store.delete(s.id);
      this.deps.events.publish({ type: 'session.deleted', id: s.id, name: s.name });
    });
  }

  /** The session's SSH key, opened for one git call; null when it has none. */
  private async sshKeyOf(s: Session): Promise<string | null> {
    if (!s.hasSshKey || !this.deps.secrets) return null;
    const key = await this.deps.secrets.get(SSH_KEY_SCOPE(s.id), SSH_KEY_NAME);
    return key ? key.toString('utf8') : null;
  }

  private async forgetSecrets(id: string): Promise<void> {
    await this.deps.secrets?.delete(SSH_KEY_SCOPE(id));
  }

  /** Container, working copy, berth's refs and the branch: all gone (and the session's key). */
  async discard(s: Session): Promise<void> {
    await this.deps.previews?.release(s.id);
    if (s.containerId) await this.deps.runtime.remove(s.containerId);
    await this.networks.release(s);
    await this.forgetSecrets(s.id);
    await this.deps.agents?.release(s);
    await this.deps.workspaces.remove({
      repoRoot: s.repo,
      sessionId: s.id,
      branch: s.branch,
      path: s.workspacePath,
      keepBranch: false,
    });
  }

  private previewManager(): PreviewManager {
    if (!this.deps.previews) throw new InvalidInput('this berth cannot run previews (no preview manager)');
    return this.deps.previews;
  }

  /**
   * Starts (or restarts) a running session's dev server: detected afresh, or with the given command
   * and port. The session becomes a preview session unless it runs an agent.
   */
  startPreview(ref: string, request: unknown = true, progress: Progress = () => {}): Promise<Session> {
    const wanted = checkPreviewRequest(request);
    return this.act(ref, async (s) => {
      assertRunning(s.name, s.status, 'start a preview');
      const preview = await this.previewManager().launch(s, wanted, progress);
      const updated = await this.deps.store.update(s.id, {
        preview,
        ...(s.kind === 'shell' ? { kind: 'preview' as const } : {}),
        updatedAt: this.deps.clock.now().toISOString(),
      });
      this.deps.events.publish({ type: 'session.updated', session: updated });
      return updated;
    });
  }

  /** After a start: the dev server died with the container, so it runs again (a failure is kept as not ready). */
  private async relaunchPreview(s: Session): Promise<SessionPatch> {
    if (!s.preview || !this.deps.previews) return {};
    try {
      return { preview: await this.deps.previews.launch(s, null) };
    } catch (err) {
      this.deps.logger.warn({ err, session: s.id }, 'the preview did not come back after a start');
      return { preview: PreviewManager.suspended(s.preview) };
    }
  }

  private async withLiveContainer<T>(s: Session, work: () => Promise<T>): Promise<T> {
    const id = s.containerId!;
    if (s.status === 'paused') await this.deps.runtime.unpause(id);
    if (s.status === 'stopped') {
      await this.deps.agents?.beforeStart(s);
      await this.deps.runtime.start(id);
    }
    try {
      return await work();
    } finally {
      if (s.status === 'paused') await this.deps.runtime.pause(id).catch(() => undefined);
      if (s.status === 'stopped') await this.deps.runtime.stop(id).catch(() => undefined);
    }
  }

  /** Runs the snapshot script in the container and fetches its bundle; returns the commit. */
  private snapshot(s: Session, repo: RepoInfo, message: string): Promise<string> {
    return takeSnapshot(this.deps, { ...s, containerId: s.containerId! }, repo, message);
  }
}
