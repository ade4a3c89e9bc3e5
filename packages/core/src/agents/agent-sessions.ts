import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import type { AgentStatusSource, WaitableState } from '@berth/api/agent-status';
import { taskOf } from '@berth/api/agent-status';
import tarStream from 'tar-stream';
import type { BerthConfig } from '../config/config.js';
import { RELAY_BROKER_ORIGIN } from '../egress/session-networks.js';
import { EngineError, IllegalTransition, InvalidInput } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import { LABEL_SESSION_ID, sessionLabels } from '../runtime/labels.js';
import type { ContainerRuntime, InteractiveExec, Mount } from '../runtime/runtime.js';
import { isTerminal, type Session } from '../session/session.js';
import { requireContainer } from '../session/state-machine.js';
import type { AgentCredentials } from './agent-credentials.js';
import {
  CREDENTIALS_MOUNT,
  LAUNCHER,
  launcherArchive,
  ownedDirArchive,
  READY_NO_TMUX,
  SECRETS_MOUNT,
  TMUX_TMPDIR,
} from './agent-launcher.js';
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
  firstArgv,
  loadAgentProfiles,
  resumeArgv,
  withArgs,
} from './agent-profile.js';
import {
  type AgentSeed,
  AUTONOMIES,
  type Autonomy,
  agentSeed,
  type SeedFile,
  seededContent,
} from './agent-seeds.js';
import type { AgentStatusTracker, WaitOutcome } from './agent-status.js';
import { AGENTS_BIN, AGENTS_MOUNT } from './agent-tools.js';
import { AgentToolsVolume, type ToolsProgress } from './agent-tools-volume.js';
import { type CredentialOwner, HOST_OWNER, ownerChain } from './credential-owner.js';
import { CredentialRefresh } from './credential-refresh.js';
import { BROKERED_KEYS, type KeyBroker, type ModelVendor } from './key-broker.js';
import { generateSessionName } from './session-names.js';

/** The agent's HOME: the per-session state volume, so its conversation outlives the container's runs. */
export const AGENT_HOME = '/home/berth';

/** What a create asked of the agent, checked before anything is made. */
export interface AgentPlan {
  profile: AgentProfile;
  prompt: string | null;
  /** From the preflight; null when the image is not there (the create then says so). */
  tools?: AgentToolsUse | null;
  /** A built-in CLI's unattended settings (files in HOME, arguments); null for other profiles. */
  seed?: AgentSeed | null;
  /** Where agentStatus comes from: the CLI's own signals, or the launcher's guess. */
  statusSource: AgentStatusSource;
  /** The keys the session holds only placeholders of (the key broker puts the real ones in). */
  brokered?: string[];
  /** Whose credentials the session gets: its team's or its owner's (the host's for no owner). */
  owner?: CredentialOwner;
  /** Where its agent reaches the key broker: the shared network's gateway, or berth's relay. */
  brokerOrigin?: string;
}

/** A new session's agent fields: none for a plain session, `starting` for an agent one. */
export function agentFields(plan: AgentPlan | null, now: string) {
  return {
    agent: plan?.profile.name ?? null,
    task: taskOf(plan?.prompt),
    agentStatus: plan ? ('starting' as const) : null,
    agentStatusSince: plan ? now : null,
    agentExitCode: null,
    agentStatusSource: plan ? plan.statusSource : null,
  };
}

/** The model API's base URL each seeded CLI is pointed at, from this variable of its environment. */
const BASE_URL_VARIABLE = {
  claude: 'ANTHROPIC_BASE_URL',
  codex: 'OPENAI_BASE_URL',
  gemini: 'GOOGLE_GEMINI_BASE_URL',
  opencode: 'ANTHROPIC_BASE_URL',
} as const;

/** The model API each seeded CLI is pointed at. */
const VENDOR_OF = { claude: 'anthropic', codex: 'openai', gemini: 'gemini', opencode: 'anthropic' } as const;

/** The profile's keys the broker stands in for: a seeded CLI's model API keys. */
export function brokerableKeys(profile: AgentProfile): Record<string, ModelVendor> {
  return profile.seed ? { ...BROKERED_KEYS[profile.seed] } : {};
}

/**
 * Where the broker sends a profile's requests: the profile's own base URL variable (the config
 * file's, never a session's), else BERTH_<VENDOR>_BASE_URL, else the vendor's API.
 */
export function brokerUpstream(profile: AgentProfile, vendor: ModelVendor, config: BerthConfig): string {
  const own =
    profile.seed && VENDOR_OF[profile.seed] === vendor
      ? profile.env[BASE_URL_VARIABLE[profile.seed]]
      : undefined;
  return own || config.modelApis[vendor];
}

export function checkAutonomy(raw: unknown): Autonomy {
  if (raw === undefined) return 'full';
  if (typeof raw === 'string' && (AUTONOMIES as readonly string[]).includes(raw)) return raw as Autonomy;
  throw new InvalidInput(
    `autonomy is one of ${AUTONOMIES.join(', ')}, not ${JSON.stringify(raw).slice(0, 40)}`,
    {
      hint: '`full` (the default: no permission prompts, the container is the sandbox) or `ask`',
    },
  );
}

/** What `build()` adds to the container for an agent session. */
export interface AgentContainerParts {
  mounts: Mount[];
  /** The exact host directories that may be mounted (read-only) for credentials. */
  secretDirs: string[];
  /** The host directories berth made for the agent to write: its status line, its refreshed logins. */
  writableDirs: string[];
  env: Record<string, string>;
  command: string[];
}

export const stateVolumeName = (sessionId: string) => `berth-state-${sessionId}`;

/**
 * Agent sessions: the profile a session runs, its state volume, its credentials on the host, the
 * launcher that runs the agent in tmux, and attaching to it. SessionService calls these hooks
 * from its create and lifecycle steps; everything agent-specific lives here.
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
  }

  /** Logins the agents' CLIs refresh as they run, kept for the next session. */
  readonly refresh: CredentialRefresh;

  /** The agents' CLIs berth installs and mounts (claude, codex, gemini, opencode). */
  readonly tools: AgentToolsVolume;
  private readonly probe: ImageProbe;

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
      ? await this.seedFor(profile, autonomy, input.env ?? {}, brokered, owner, brokerOrigin)
      : null;
    const statusSource = profile.seed === 'claude' || profile.seed === 'codex' ? 'signals' : 'guess';
    return { profile, prompt, tools, seed, statusSource, brokered, owner, brokerOrigin };
  }

  /**
   * The profile's keys that are set up and that the broker stands in for, once it listens on the
   * session network's gateway; none when it cannot (the keys then go in as files).
   */
  async brokered(profile: AgentProfile, owner: CredentialOwner): Promise<string[]> {
    const { broker, runtime, config } = this.deps;
    const names = Object.keys(brokerableKeys(profile));
    if (!broker || names.length === 0) return [];
    const set = (await this.deps.credentials.status(profile.name, owner)).keys.map((k) => k.name);
    const wanted = names.filter((n) => set.includes(n));
    if (wanted.length === 0) return [];
    if (!broker.url) {
      await runtime.ensureSessionNetwork(config.sessionNetwork);
      const gateway = await runtime.networkGateway(config.sessionNetwork);
      if (!gateway || !(await broker.start(gateway))) return [];
    }
    return wanted;
  }

  /**
   * At a daemon's start: the broker listens again at its kept port on the shared network's
   * gateway when an unfiltered agent session made with brokered keys lives on (a filtered one
   * reaches it through the relay, which needs no listener).
   */
  async resumeBroker(sessions: readonly Session[]): Promise<void> {
    const { broker, runtime, config } = this.deps;
    if (!broker || broker.url) return;
    for (const s of sessions) {
      if (!s.agent || s.egress || isTerminal(s.status) || !(await broker.enrolled(s.id))) continue;
      await runtime.ensureSessionNetwork(config.sessionNetwork);
      const gateway = await runtime.networkGateway(config.sessionNetwork);
      if (gateway) await broker.start(gateway);
      return;
    }
  }

  /** How each of the profile's keys reaches its agent: `brokered` (never in the session) or `file`. */
  async keyModes(
    profile: AgentProfile,
    owner: CredentialOwner,
  ): Promise<Record<string, 'brokered' | 'file'>> {
    // With the engine away the broker cannot be placed yet: the keys it would stand in for say so.
    const brokered = new Set(
      await this.brokered(profile, owner).catch(() => Object.keys(brokerableKeys(profile))),
    );
    const out: Record<string, 'brokered' | 'file'> = {};
    for (const k of (await this.deps.credentials.status(profile.name, owner)).keys) {
      out[k.name] = brokered.has(k.name) ? 'brokered' : 'file';
    }
    return out;
  }

  /** The base URL sessions' CLIs of `vendor` are given; null while the broker does not listen. */
  brokerUrl(vendor: ModelVendor): string | null {
    return this.deps.broker?.url ? this.deps.broker.baseUrl(vendor) : null;
  }

  /** The placeholder of each brokered key, for the session's key files. */
  private async placeholders(sessionId: string, brokered: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of brokered) out[name] = await this.deps.broker!.placeholder(sessionId, name);
    return out;
  }

  /**
   * The seed of a built-in CLI: its base URL from its variable (the profile's env, then the
   * session's), and its key from the file berth mounts, where one is set up.
   */
  private async seedFor(
    profile: AgentProfile,
    autonomy: Autonomy,
    env: Record<string, string>,
    brokered: string[],
    owner: CredentialOwner,
    brokerOrigin: string | undefined,
  ) {
    const agent = profile.seed!;
    const vars = { ...profile.env, ...env };
    const keys = new Set((await this.deps.credentials.status(profile.name, owner)).keys.map((k) => k.name));
    const keyName =
      agent === 'codex' ? 'OPENAI_API_KEY' : agent === 'gemini' ? 'GEMINI_API_KEY' : 'ANTHROPIC_API_KEY';
    const hasKey = keys.has(keyName);
    // A brokered key: the CLI talks to berth, which knows where the real API is.
    let baseUrl =
      brokered.length > 0 ? `${brokerOrigin}/${VENDOR_OF[agent]}` : vars[BASE_URL_VARIABLE[agent]];
    // A key for Codex goes through a provider of berth's (no login screen); the vendor's URL by default.
    if (agent === 'codex' && hasKey && !baseUrl) baseUrl = 'https://api.openai.com/v1';
    // opencode's Anthropic provider takes the URL with its version path; the variable has none.
    if (agent === 'opencode' && baseUrl) baseUrl = `${baseUrl.replace(/\/+$/, '')}/v1`;
    return agentSeed(agent, {
      autonomy,
      home: AGENT_HOME,
      workspace: '/workspace',
      launcher: LAUNCHER,
      ...(baseUrl ? { baseUrl } : {}),
      ...(profile.model ? { model: profile.model } : {}),
      ...(hasKey
        ? {
            apiKey:
              agent === 'claude' || agent === 'opencode'
                ? { env: keyName, file: `${SECRETS_MOUNT}/${keyName}` }
                : { env: keyName },
          }
        : {}),
    });
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
  async prepare(
    session: Session,
    plan: AgentPlan,
    progress: ToolsProgress = () => {},
  ): Promise<AgentContainerParts> {
    const { config, runtime, credentials } = this.deps;
    const [uid, gid] = session.user.split(':').map(Number) as [number, number];
    const volume = stateVolumeName(session.id);
    await runtime.createVolume(
      volume,
      sessionLabels({ sessionId: session.id, sessionName: session.name, home: config.home }),
    );
    const brokered = plan.brokered ?? [];
    const owner = plan.owner ?? (await credentials.resolve(plan.profile.name, await this.chainOf(session)));
    if (brokered.length > 0) await this.deps.broker!.enrol(session.id);
    await credentials.materialise(
      session.id,
      plan.profile.name,
      uid,
      gid,
      await this.placeholders(session.id, brokered),
      owner,
    );
    const paths = credentials.paths(session.id);
    const mounts: Mount[] = [
      { type: 'volume', source: volume, target: AGENT_HOME, readOnly: false },
      { source: paths.keys, target: SECRETS_MOUNT, readOnly: true },
    ];
    const statusMount = await this.deps.status.prepare(session.id, uid, gid);
    mounts.push(statusMount);
    const writableDirs = [statusMount.source];
    const refreshMount = await this.refresh.prepare(
      session.id,
      plan.profile.name,
      refreshNames(plan.profile),
      uid,
      gid,
      owner,
    );
    if (refreshMount) {
      mounts.push(refreshMount);
      writableDirs.push(refreshMount.source);
    }
    const env: Record<string, string> = {};
    // Every agent session gets the agents once they are installed; one whose command is there installs them.
    if (
      plan.tools &&
      (plan.tools.needed ? await this.tools.ensure(progress) : await this.tools.installed())
    ) {
      mounts.push({ type: 'volume', source: this.tools.name, target: AGENTS_MOUNT, readOnly: true });
      env.PATH = `${AGENTS_BIN}:${plan.tools.imagePath}`;
    }
    const dir = plan.profile.credentials.dir;
    // Only a directory that was set up is mounted: an empty read-only one would only break the agent.
    if (dir && (await credentials.hasDir(plan.profile.name, owner))) {
      mounts.push({
        source: paths.dir,
        target: dir.mode === 'link' ? CREDENTIALS_MOUNT : dir.to,
        readOnly: true,
      });
    }
    const seedVar = plan.profile.seed ? BASE_URL_VARIABLE[plan.profile.seed] : null;
    return {
      mounts,
      secretDirs: [paths.keys, paths.dir],
      writableDirs,
      env: {
        ...env,
        ...plan.seed?.env,
        ...plan.profile.env,
        // The profile's own base URL is where the broker forwards, not where the agent talks.
        ...(brokered.length > 0 && seedVar
          ? { [seedVar]: `${plan.brokerOrigin}/${VENDOR_OF[plan.profile.seed!]}` }
          : {}),
        HOME: AGENT_HOME,
        TMUX_TMPDIR,
        BERTH_AGENT: plan.profile.name,
      },
      command: ['sh', LAUNCHER, 'boot'],
    };
  }

  /** Before the first start: the launcher and argvs into `/`, the state volume's root to the session's user. */
  async install(containerId: string, session: Session, plan: AgentPlan): Promise<void> {
    const [uid, gid] = session.user.split(':').map(Number) as [number, number];
    const { runtime } = this.deps;
    const args = plan.seed?.args ?? [];
    await runtime.putArchive(
      containerId,
      '/',
      await launcherArchive({
        first: withArgs(firstArgv(plan.profile, plan.prompt), args),
        resume: withArgs(resumeArgv(plan.profile), args),
        prompt: plan.prompt,
        linkCredentialsTo:
          plan.profile.credentials.dir?.mode === 'link' ? plan.profile.credentials.dir.to : null,
        withheldEnv: plan.seed?.withheldEnv ?? [],
        guessStatus: plan.statusSource === 'guess',
        // Neither says anything as it takes the prompt it started with (Claude Code's
        // UserPromptSubmit is for typed prompts); Claude Code's SessionStart says when it is ready.
        signalOnStart:
          plan.profile.seed === 'codex' ? 'always' : plan.profile.seed === 'claude' ? 'prompt' : null,
      }),
    );
    await runtime.putArchive(containerId, '/', await ownedDirArchive(AGENT_HOME.slice(1), uid, gid));
    if (plan.seed?.files.length) {
      await runtime.putArchive(containerId, '/', await seedArchive(plan.seed.files, uid, gid));
    }
  }

  /**
   * Gives the running agent its next prompt, as typed into its terminal (one bracketed paste,
   * then Enter), and counts it as working.
   */
  async send(s: Session, text: string): Promise<void> {
    if (!s.agent) {
      throw new IllegalTransition(`session '${s.name}' runs no agent`, {
        hint: `run commands with \`berth exec ${s.name} -- …\` instead`,
      });
    }
    if (s.status !== 'running' || !s.containerId) {
      throw new IllegalTransition(`session '${s.name}' is ${s.status}: its agent cannot take a prompt`, {
        hint:
          s.status === 'paused'
            ? `resume it first: \`berth resume ${s.name}\``
            : `start it first: \`berth start ${s.name}\``,
      });
    }
    if (s.agentStatus === 'exited') {
      throw new IllegalTransition(`the agent of session '${s.name}' has exited: nothing reads a prompt`, {
        hint: `start it again with \`berth restart ${s.name}\``,
      });
    }
    const prompt = checkPrompt(text);
    if (prompt.trim() === '') throw new InvalidInput('a prompt to send is text, not empty');
    // The launcher says `working` as the prompt goes in, before anything the agent says after.
    const r = await this.deps.runtime.exec(s.containerId, {
      cmd: ['sh', LAUNCHER, 'send'],
      user: s.user,
      env: { TMUX_TMPDIR },
      stdin: Buffer.from(prompt, 'utf8'),
    });
    await this.deps.status.refresh(s.id);
    if (r.exitCode !== 0) {
      // It may have said `working` before the paste failed: back to what it was.
      if (s.agentStatus) await this.deps.status.restore(s.id, s.agentStatus);
      throw new EngineError(`the agent's terminal did not take the prompt (exit ${r.exitCode})`, {
        hint: `look at its screen with \`berth attach ${s.name}\``,
      });
    }
  }

  /** Waits until the session's agent is in one of `states` (see AgentStatusTracker.waitFor). */
  waitFor(s: Session, states: readonly WaitableState[], timeoutMs: number): Promise<WaitOutcome> {
    if (!s.agent) {
      throw new IllegalTransition(`session '${s.name}' runs no agent`, {
        hint: 'wait for agent sessions only (`berth ls` shows an AGENT column)',
      });
    }
    return this.deps.status.waitFor(s.id, states, timeoutMs);
  }

  /** After the first start: the agent's tmux session is up, or a clear reason why not. */
  async awaitReady(containerId: string, session: Session): Promise<void> {
    const r = await this.deps.runtime.exec(containerId, {
      cmd: ['sh', LAUNCHER, 'ready'],
      user: session.user,
      env: { TMUX_TMPDIR },
    });
    if (r.exitCode === 0) return;
    if (r.exitCode === READY_NO_TMUX) {
      throw new InvalidInput(`image ${session.image} has no tmux: an agent session runs its agent in tmux`, {
        hint: 'use an image with tmux, such as berth/session:bookworm (leave out --image), or add tmux to yours',
      });
    }
    throw new EngineError(
      `the agent's terminal did not start (launcher exit ${r.exitCode}): ${r.stderr.toString('utf8').slice(0, 300)}`,
      { hint: `look at \`berth logs ${session.name}\`` },
    );
  }

  /** Before a stopped session's container starts again: its credentials back on the host tmpfs. */
  async beforeStart(s: Session): Promise<void> {
    if (!s.agent) return;
    const [uid, gid] = s.user.split(':').map(Number) as [number, number];
    await this.harvest(s);
    const profile = (await this.catalogue()).profiles.find((p) => p.name === s.agent);
    // The same owner's as before: a restart never swaps in someone else's login.
    const owner = await this.credentialOwner(s, s.agent);
    const brokered =
      profile && (await this.deps.broker?.enrolled(s.id)) ? await this.brokered(profile, owner) : [];
    const placeholders = await this.placeholders(s.id, brokered);
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
    await this.deps.broker?.forget(s.id);
    await this.deps.status.release(s.id);
    if (s.agent) await this.deps.runtime.removeVolume(stateVolumeName(s.id));
  }

  /** A TTY attached to the agent's tmux session; closing it detaches and leaves the agent running. */
  async attach(s: Session, opts: { cols?: number; rows?: number } = {}): Promise<InteractiveExec> {
    if (!s.agent) {
      throw new IllegalTransition(`session '${s.name}' runs no agent`, {
        hint: `open a shell instead: \`berth shell ${s.name}\``,
      });
    }
    const { containerId } = requireContainer(s);
    const id = randomBytes(8).toString('hex');
    const term = await this.deps.runtime.execInteractive(containerId, {
      cmd: ['sh', LAUNCHER, 'attach', id],
      user: s.user,
      workingDir: '/workspace',
      env: { TERM: 'xterm-256color', TMUX_TMPDIR },
      ...(opts.cols ? { cols: opts.cols } : {}),
      ...(opts.rows ? { rows: opts.rows } : {}),
    });
    const detach = () =>
      this.deps.runtime
        .exec(containerId, { cmd: ['sh', LAUNCHER, 'detach', id], user: s.user, env: { TMUX_TMPDIR } })
        .catch((err) => this.deps.logger.debug({ err, session: s.id }, 'detach after attach failed'));
    term.stream.once('close', () => void detach());
    return term;
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

/** A seed's files for the container's `/`, owned by the session's user, their directories too. */
async function seedArchive(files: SeedFile[], uid: number, gid: number): Promise<Buffer> {
  const pack = tarStream.pack();
  const owner = { uid, gid, mtime: new Date() };
  const dirs = new Set<string>();
  for (const f of files) {
    for (let d = posix.dirname(f.path); d.startsWith(`${AGENT_HOME}/`); d = posix.dirname(d)) dirs.add(d);
  }
  for (const d of [...dirs].sort())
    pack.entry({ ...owner, name: d.slice(1), type: 'directory', mode: 0o700 });
  // A fresh HOME: nothing of the agent's to merge with yet.
  for (const f of files)
    pack.entry({ ...owner, name: f.path.slice(1), mode: f.mode }, seededContent(f, undefined));
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const chunk of pack) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** A profile's refreshable login files: only in `link` mode, where the launcher links them. */
function refreshNames(p: AgentProfile): string[] {
  const dir = p.credentials.dir;
  return dir?.mode === 'link' ? (dir.refresh ?? []) : [];
}
