import { randomUUID } from 'node:crypto';
import { type AgentContainerParts, type AgentPlan, agentFields } from '../agents/agent-plan.js';
import type { AgentSessions } from '../agents/agent-sessions.js';
import type { BerthConfig } from '../config/config.js';
import type { EgressMode } from '../egress/egress-policy.js';
import { sessionEgressFor } from '../egress/session-egress.js';
import type { SessionNetworks } from '../egress/session-networks.js';
import { Conflict, InvalidInput } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import type { PreviewManager } from '../previews/preview-manager.js';
import { checkPreviewRequest, type PreviewRequest } from '../previews/project-detection.js';
import { type Isolation, resolveIsolation } from '../runtime/isolation.js';
import { sessionLabels } from '../runtime/labels.js';
import { assertSafeMounts } from '../runtime/mount-policy.js';
import type { ContainerRuntime, Mount } from '../runtime/runtime.js';
import { sessionTrust } from '../runtime/session-trust.js';
import type { Secrets } from '../secrets/secrets.js';
import type { SessionPatch, SessionStore } from '../store/store.js';
import { CONTAINER_OBJECTS_DIR } from '../workspace/git-workspace.js';
import { cacheScopeOf, parseRemote, type RemoteRepos } from '../workspace/remote-repos.js';
import type { RepoInfo } from '../workspace/repo-inspection.js';
import { parseSshKey } from '../workspace/ssh-key.js';
import type { WorkingCopies } from '../workspace/working-copies.js';
import { assertCapacity } from './capacity.js';
import { checkGitUser } from './git-identity.js';
import { defaultLimitsFor, idlePolicyFor, sessionKindFor } from './profiles.js';
import {
  branchFor,
  type IdlePolicy,
  parseSessionName,
  type Session,
  type SessionKind,
  type SessionRuntime,
} from './session.js';
import { SSH_KEY_NAME, SSH_KEY_SCOPE } from './session-features.js';
import { checkDescription, checkEnv, checkLimits } from './session-input.js';
import type { SessionLedger } from './session-ledger.js';
import { UndoStack } from './undo-stack.js';

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

export type Progress = (step: string) => void;

export interface CreateSessionDeps {
  config: BerthConfig;
  ledger: SessionLedger;
  store: SessionStore;
  runtime: ContainerRuntime;
  workspaces: WorkingCopies;
  networks: SessionNetworks;
  logger: Logger;
  secrets?: Secrets;
  remotes?: RemoteRepos;
  previews?: PreviewManager;
  agents?: AgentSessions;
}

/** Everything a create checked and worked out before it made anything. */
interface CreatePlan {
  session: Session;
  repo: RepoInfo;
  sshKey: string | null;
  isolation: Isolation;
  preview: PreviewRequest | null;
  agent: AgentPlan | null;
}

/**
 * Making a session: every check first (nothing made yet), then the intent row under the capacity
 * lock, then each step with its undo, so a failure part-way leaves nothing behind.
 */
export class SessionCreator {
  constructor(private readonly deps: CreateSessionDeps) {}

  async create(input: CreateSessionInput, progress: Progress = () => {}): Promise<Session> {
    const { ledger } = this.deps;
    const plan = await this.plan(input, progress);
    // The cap check and the intent row are one step, so a burst of creates cannot overshoot.
    await ledger.withCapacityLock(async () => {
      await assertCapacity(this.deps, plan.session.name, plan.session);
      await ledger.insert(plan.session);
    });
    return ledger.creating(plan.session.id, () =>
      ledger.withLock(plan.session.id, () => this.build(plan, progress)),
    );
  }

  /** Every check of a create, and the session it would make; nothing is changed yet. */
  private async plan(input: CreateSessionInput, progress: Progress): Promise<CreatePlan> {
    const { config, store, runtime, workspaces, ledger } = this.deps;
    const remote = this.deps.remotes ? parseRemote(input.repo) : null;
    const egress = await sessionEgressFor(input, config, remote?.url ?? null);
    const agent = await this.planAgent({ ...input, viaRelay: egress !== null });
    const name = parseSessionName(
      input.name ??
        (agent && this.deps.agents
          ? await this.deps.agents.generateName(agent.profile.name, async (n) => !!(await store.getByName(n)))
          : undefined),
    );
    const env = checkEnv(input.env);
    const kind = sessionKindFor(agent ? { ...input, agent: agent.profile.name } : input);
    const limits = checkLimits(input, defaultLimitsFor(kind, config));
    const idle = idlePolicyFor(kind, input, config);
    const isolation = await resolveIsolation(input.runtime, { runtime, config });
    const image = input.image || agent?.profile.image || config.defaultImage;
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
    if (remote) await this.assertNameFree(name);
    const repo =
      remote && this.deps.remotes
        ? await this.deps.remotes.prepare(remote, sshKey, progress, cacheScopeOf(input))
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
    await this.assertNameFree(name);

    const uid = repo.ownerUid === 0 ? config.fallbackUid : repo.ownerUid;
    const gid = repo.ownerUid === 0 ? config.fallbackGid : repo.ownerGid;
    const id = randomUUID();
    const now = ledger.clock.now().toISOString();
    const session: Session = {
      id,
      name,
      status: 'creating',
      statusReason: null,
      repo: repo.root,
      baseBranch: base.branch,
      baseCommit: base.commit,
      branch: branchFor(name),
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
      ...agentFields(agent, now),
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
    return { session, repo, sshKey, isolation, preview, agent };
  }

  private async assertNameFree(name: string): Promise<void> {
    if (await this.deps.store.getByName(name)) {
      throw new Conflict(`a session named '${name}' already exists`, {
        hint: `pick another name, or remove the old one with \`berth rm ${name}\``,
      });
    }
  }

  private async planAgent(input: CreateSessionInput & { viaRelay: boolean }): Promise<AgentPlan | null> {
    if (input.agent === undefined && input.prompt === undefined) return null;
    if (!this.deps.agents) throw new InvalidInput('this berth runs no agent sessions');
    return this.deps.agents.plan(input);
  }

  /** Makes what the plan says, step by step; a failure undoes every step made and forgets the row. */
  private async build(plan: CreatePlan, progress: Progress): Promise<Session> {
    const { config, runtime, workspaces, networks, agents, previews, ledger, logger } = this.deps;
    const { session, repo, agent: agentPlan } = plan;
    const workspacePath = session.workspacePath ?? `${config.workspacesDir}/${session.id}`;
    const undo = new UndoStack();
    const [uid, gid] = session.user.split(':').map(Number) as [number, number];
    try {
      if (plan.sshKey) await this.deps.secrets?.put(SSH_KEY_SCOPE(session.id), SSH_KEY_NAME, plan.sshKey);
      progress('making the working copy');
      // create() undoes its own partial work; this undo is only for what comes after it (and it
      // must never run when create() failed on a branch that already existed).
      await workspaces.create({
        sessionId: session.id,
        branch: session.branch,
        repo,
        baseCommit: session.baseCommit,
        path: workspacePath,
        uid,
        gid,
        gitUser: session.gitUser,
      });
      undo.defer(() =>
        workspaces.remove({
          repoRoot: repo.root,
          sessionId: session.id,
          branch: session.branch,
          path: workspacePath,
          keepBranch: false,
        }),
      );
      const trust = await sessionTrust(config);
      const mounts: Mount[] = [
        { source: workspacePath, target: '/workspace', readOnly: false },
        // The clone borrows the user's objects through its alternates file, which names this path.
        { source: repo.objectsDir, target: CONTAINER_OBJECTS_DIR, readOnly: true },
        ...trust.mounts,
      ];
      let agent: AgentContainerParts | null = null;
      if (agentPlan && agents) {
        progress('preparing the agent');
        undo.defer(() => agents.release(session));
        agent = await agents.prepare(session, agentPlan, progress);
        mounts.push(...agent.mounts);
      }
      assertSafeMounts(mounts, {
        berthHome: config.home,
        // A remote's cache lives under BERTH_HOME; only its objects are mounted, read-only.
        allowedInHome: [workspacePath, ...(session.remote ? [repo.objectsDir] : [])],
        allowedFiles: trust.allowedFiles,
        secretDirs: agent?.secretDirs ?? [],
        writableDirs: agent?.writableDirs ?? [],
      });
      progress('starting the container');
      undo.defer(() => networks.release(session));
      const net = await networks.attach(session);
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
        pids: session.limits.pids + plan.isolation.pidsHeadroom,
        network: net.network,
        extraHosts: net.extraHosts,
        ...(plan.isolation.ociRuntime ? { runtime: plan.isolation.ociRuntime } : {}),
      });
      undo.defer(() => runtime.remove(containerId));
      await this.deps.store.update(session.id, { containerId });
      if (agentPlan && agents) await agents.install(containerId, session, agentPlan);
      await runtime.start(containerId);
      if (agentPlan && agents) await agents.awaitReady(containerId, session);
      const extra: SessionPatch = {};
      if (plan.preview) {
        if (!previews) throw new InvalidInput('this berth cannot run previews (no preview manager)');
        undo.defer(() => previews.release(session.id));
        extra.preview = await previews.launch({ ...session, containerId }, plan.preview, progress);
      }
      return await ledger.transition({ ...session, containerId }, 'running', null, 'start', extra);
    } catch (err) {
      await undo.unwind(logger, { session: session.id });
      // Nothing half-made stays behind: the key and the intent row go too; the caller gets the reason.
      await this.deps.secrets?.delete(SSH_KEY_SCOPE(session.id));
      await ledger.forget(session);
      throw err;
    }
  }
}
