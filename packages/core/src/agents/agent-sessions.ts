import type { WaitableState } from '@berth/api/agent-status';
import type { BerthConfig } from '../config/config.js';
import { RELAY_BROKER_ORIGIN } from '../egress/session-networks.js';
import type { Logger } from '../logger.js';
import { LABEL_SESSION_ID } from '../runtime/labels.js';
import type { ContainerRuntime, InteractiveExec } from '../runtime/runtime.js';
import type { Session } from '../session/session.js';
import { installAgent, prepareAgentContainer, refreshNames } from './agent-container.js';
import type { AgentCredentials } from './agent-credentials.js';
import { type AgentContainerParts, type AgentPlan, checkAutonomy, stateVolumeName } from './agent-plan.js';
import {
  type AgentToolsUse,
  checkCommand,
  checkCredentials,
  ImageProbe,
  programOf,
} from './agent-preflight.js';
import {
  type AgentCatalogue,
  type AgentProfile,
  checkPrompt,
  findProfile,
  loadAgentProfiles,
} from './agent-profile.js';
import { seedFor } from './agent-seed-setup.js';
import type { Autonomy } from './agent-seeds.js';
import type { AgentStatusTracker, WaitOutcome } from './agent-status.js';
import { AgentTerminal } from './agent-terminal.js';
import { AgentToolsVolume, type ToolsProgress } from './agent-tools-volume.js';
import { BrokerKeys } from './broker-keys.js';
import { type CredentialOwner, HOST_OWNER, ownerChain } from './credential-owner.js';
import { CredentialRefresh } from './credential-refresh.js';
import type { KeyBroker, ModelVendor } from './key-broker.js';
import { generateSessionName } from './session-names.js';

/**
 * Agent sessions: the profile a session runs, its state volume, its credentials on the host, the
 * launcher that runs the agent in tmux, and attaching to it. SessionService calls these hooks
 * from its create and lifecycle steps; everything agent-specific lives here or behind it: the
 * plan's types (agent-plan.ts), what it adds to the container (agent-container.ts), the broker's
 * keys (broker-keys.ts), a CLI's seed (agent-seed-setup.ts) and the agent's terminal
 * (agent-terminal.ts).
 */
export class AgentSessions {
  constructor(
    private readonly deps: {
      config: BerthConfig;
      runtime: ContainerRuntime;
      credentials: AgentCredentials;
      logger: Logger;
      /** berth's agents volume; default the pinned set's. */
      tools?: AgentToolsVolume;
      status: AgentStatusTracker;
      /** Keeps model API keys out of sessions; without one they go in as files. */
      broker?: KeyBroker;
      /** Whether a berth user is an admin (their own sessions may fall back to the host's credentials). */
      isAdmin?: (userId: string) => Promise<boolean>;
    },
  ) {
    this.tools =
      deps.tools ?? new AgentToolsVolume({ runtime: deps.runtime, config: deps.config, logger: deps.logger });
    this.probe = new ImageProbe(deps);
    this.refresh = new CredentialRefresh({ credentials: deps.credentials, logger: deps.logger });
    this.keys = new BrokerKeys(deps);
    this.terminal = new AgentTerminal(deps);
  }

  /** Logins the agents' CLIs refresh as they run, kept for the next session. */
  readonly refresh: CredentialRefresh;

  /** The agents' CLIs berth installs and mounts (claude, codex, gemini, opencode). */
  readonly tools: AgentToolsVolume;
  private readonly probe: ImageProbe;
  private readonly keys: BrokerKeys;
  private readonly terminal: AgentTerminal;

  get credentials(): AgentCredentials {
    return this.deps.credentials;
  }

  catalogue(): Promise<AgentCatalogue> {
    return loadAgentProfiles(this.deps.config.configFile);
  }

  /**
   * Null for a plain session; the profile and prompt for an agent session, after the preflight:
   * its command is in the image or in berth's agents volume (and the image can run it), the image
   * has sh and tmux, and its credentials are set up. Runs before anything is made.
   */
  async plan(input: {
    agent?: string;
    prompt?: string;
    image?: string;
    env?: Record<string, string>;
    autonomy?: Autonomy;
    /** Who creates it (CreateSessionInput's): whose credentials it may get. */
    ownerId?: string | null;
    teamId?: string | null;
    /** A filtered session: it reaches the broker through berth's relay. */
    viaRelay?: boolean;
  }): Promise<AgentPlan | null> {
    if (input.agent === undefined && input.prompt === undefined) return null;
    const catalogue = await this.catalogue();
    const profile = findProfile(catalogue, input.agent ?? catalogue.defaultAgent);
    const prompt = input.prompt === undefined ? null : checkPrompt(input.prompt);
    const autonomy = checkAutonomy(input.autonomy);
    // The image as the create picks it; a missing one is the create's to report.
    const image = input.image || profile.image || this.deps.config.defaultImage;
    let tools: AgentToolsUse | null = null;
    if (await this.deps.runtime.imageExists(image)) {
      const commands = ['tmux', programOf(profile)];
      const facts = await this.probe.facts(image, commands);
      tools = checkCommand(profile, image, facts, this.tools.tools);
      this.probe.remember(image, commands, facts);
    }
    const owner = await this.deps.credentials.resolve(profile.name, await this.chainOf(input));
    await checkCredentials(profile, this.deps.credentials, owner);
    const brokered = await this.brokered(profile, owner);
    const brokerOrigin = input.viaRelay ? RELAY_BROKER_ORIGIN : (this.deps.broker?.url ?? undefined);
    const seed = profile.seed
      ? await seedFor(
          this.deps.credentials,
          profile,
          autonomy,
          input.env ?? {},
          brokered,
          owner,
          brokerOrigin,
        )
      : null;
    const statusSource = profile.seed === 'claude' || profile.seed === 'codex' ? 'signals' : 'guess';
    return { profile, prompt, tools, seed, statusSource, brokered, owner, brokerOrigin };
  }

  /** The profile's keys the broker stands in for, once it listens (see BrokerKeys.brokered). */
  brokered(profile: AgentProfile, owner: CredentialOwner): Promise<string[]> {
    return this.keys.brokered(profile, owner);
  }

  /** At a daemon's start: the broker listens again where a live session needs it (BrokerKeys.resume). */
  resumeBroker(sessions: readonly Session[]): Promise<void> {
    return this.keys.resume(sessions);
  }

  /** How each of the profile's keys reaches its agent: `brokered` (never in the session) or `file`. */
  keyModes(profile: AgentProfile, owner: CredentialOwner): Promise<Record<string, 'brokered' | 'file'>> {
    return this.keys.keyModes(profile, owner);
  }

  /** The base URL sessions' CLIs of `vendor` are given; null while the broker does not listen. */
  brokerUrl(vendor: ModelVendor): string | null {
    return this.keys.url(vendor);
  }

  /**
   * Whose credentials the session has (recorded as they were put on the host), else whose its
   * owner chain gives now: a refreshed login goes back, and the broker spends keys, of that owner only.
   */
  async credentialOwner(s: Session, profile: string): Promise<CredentialOwner> {
    const { credentials } = this.deps;
    return (await credentials.ownerOf(s.id)) ?? (await credentials.resolve(profile, await this.chainOf(s)));
  }

  /**
   * The owners whose credentials a session may use, first choice first (ownerChain). An admin's
   * own session without a team may also use the host's: the admin is the machine's trusted user
   * (who may open every session anyway), and on one machine the host's `berth auth setup` is
   * what their dashboard sessions expect. A team's session never reaches the host's.
   */
  private async chainOf(who: {
    ownerId?: string | null;
    teamId?: string | null;
  }): Promise<CredentialOwner[]> {
    const chain = ownerChain(who);
    if (!who.teamId && who.ownerId && (await this.deps.isAdmin?.(who.ownerId))) chain.push(HOST_OWNER);
    return chain;
  }

  /** A free `<agent>-<adjective>-<noun>` name. */
  generateName(agent: string, taken: (name: string) => Promise<boolean>): Promise<string> {
    return generateSessionName(agent, taken);
  }

  /** Makes the state volume and puts the credentials on the host; returns the container's parts. */
  prepare(
    session: Session,
    plan: AgentPlan,
    progress: ToolsProgress = () => {},
  ): Promise<AgentContainerParts> {
    return prepareAgentContainer(
      {
        ...this.deps,
        tools: this.tools,
        refresh: this.refresh,
        keys: this.keys,
        ownerFromChain: async (s, profile) => this.deps.credentials.resolve(profile, await this.chainOf(s)),
      },
      session,
      plan,
      progress,
    );
  }

  /** Before the first start: the launcher and argvs into `/`, the state volume's root to the session's user. */
  install(containerId: string, session: Session, plan: AgentPlan): Promise<void> {
    return installAgent(this.deps.runtime, containerId, session, plan);
  }

  /** Gives the running agent its next prompt, typed into its terminal (AgentTerminal.send). */
  send(s: Session, text: string): Promise<void> {
    return this.terminal.send(s, text);
  }

  /** Waits until the session's agent is in one of `states` (see AgentStatusTracker.waitFor). */
  waitFor(s: Session, states: readonly WaitableState[], timeoutMs: number): Promise<WaitOutcome> {
    return this.terminal.waitFor(s, states, timeoutMs);
  }

  /** After the first start: the agent's tmux session is up, or a clear reason why not. */
  awaitReady(containerId: string, session: Session): Promise<void> {
    return this.terminal.awaitReady(containerId, session);
  }

  /** Before a stopped session's container starts again: its credentials back on the host tmpfs. */
  async beforeStart(s: Session): Promise<void> {
    if (!s.agent) return;
    const [uid, gid] = s.user.split(':').map(Number) as [number, number];
    await this.harvest(s);
    const profile = (await this.catalogue()).profiles.find((p) => p.name === s.agent);
    // The same owner's as before: a restart never swaps in someone else's login.
    const owner = await this.credentialOwner(s, s.agent);
    const brokered = profile && (await this.keys.enrolled(s.id)) ? await this.brokered(profile, owner) : [];
    const placeholders = await this.keys.placeholders(s.id, brokered);
    await this.deps.credentials.materialise(s.id, s.agent, uid, gid, placeholders, owner);
    await this.deps.status.reset(s);
  }

  /** What the session's agent refreshed of its login, sealed again (see CredentialRefresh). */
  async harvest(s: Session): Promise<void> {
    // Most sessions have no refreshable login: no config file read, nothing decrypted for them.
    if (!s.agent || !(await this.refresh.has(s.id))) return;
    const profile = (await this.catalogue()).profiles.find((p) => p.name === s.agent);
    if (!profile) return;
    await this.credentialOwner(s, profile.name)
      .then((owner) => this.refresh.harvest(s.id, profile.name, refreshNames(profile), owner))
      .catch((err) => this.deps.logger.warn({ err, session: s.id }, 'could not keep a refreshed login'));
  }

  /** When the session ends (finish, cancel, remove, a failed create): its volume and credentials go. */
  async release(s: Session): Promise<void> {
    await this.harvest(s);
    await this.deps.credentials.release(s.id);
    await this.keys.forget(s.id);
    await this.deps.status.release(s.id);
    if (s.agent) await this.deps.runtime.removeVolume(stateVolumeName(s.id));
  }

  /** A TTY attached to the agent's tmux session; closing it detaches and leaves the agent running. */
  attach(s: Session, opts: { cols?: number; rows?: number } = {}): Promise<InteractiveExec> {
    return this.terminal.attach(s, opts);
  }

  /** Volumes and host credentials whose session is gone or over: removed (the reconciler calls this). */
  async sweep(keep: (sessionId: string) => boolean): Promise<number> {
    let removed = 0;
    for (const v of await this.deps.runtime.listManagedVolumes()) {
      const id = v.labels[LABEL_SESSION_ID];
      if (!id || keep(id)) continue;
      try {
        await this.deps.runtime.removeVolume(v.name);
        removed++;
      } catch (err) {
        // Still in use by a container the same pass removes: the next pass takes it.
        this.deps.logger.debug({ err, volume: v.name }, 'volume not removed yet');
      }
    }
    for (const id of await this.deps.credentials.materialised()) {
      if (!keep(id)) await this.deps.credentials.release(id);
    }
    return removed;
  }
}
