/**
 * How an agent session's model API keys reach its agent: through the key broker (the session
 * holds only a placeholder, berth puts the real key into requests upstream) or as files where no
 * broker can stand in. Works out which keys are brokered, starts the broker on the session
 * network's gateway when one is needed, says where each CLI is pointed, and hands out
 * placeholders. AgentSessions delegates its broker-facing calls here; BrokerResolution uses the
 * profile-to-upstream mapping.
 */
import type { BerthConfig } from '../config/config.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { isTerminal, type Session } from '../session/session.js';
import type { AgentCredentials } from './agent-credentials.js';
import type { AgentProfile } from './agent-profile.js';
import type { CredentialOwner } from './credential-owner.js';
import { BROKERED_KEYS, type KeyBroker, type ModelVendor } from './key-broker.js';

/** The model API's base URL each seeded CLI is pointed at, from this variable of its environment. */
export const BASE_URL_VARIABLE = {
  claude: 'ANTHROPIC_BASE_URL',
  codex: 'OPENAI_BASE_URL',
  gemini: 'GOOGLE_GEMINI_BASE_URL',
  opencode: 'ANTHROPIC_BASE_URL',
} as const;

/** The model API each seeded CLI is pointed at. */
export const VENDOR_OF = {
  claude: 'anthropic',
  codex: 'openai',
  gemini: 'gemini',
  opencode: 'anthropic',
} as const;

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

/** The broker's side of agent sessions; without a broker every key goes in as a file. */
export class BrokerKeys {
  constructor(
    private readonly deps: {
      config: BerthConfig;
      runtime: ContainerRuntime;
      credentials: AgentCredentials;
      broker?: KeyBroker;
    },
  ) {}

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
  async resume(sessions: readonly Session[]): Promise<void> {
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
  url(vendor: ModelVendor): string | null {
    return this.deps.broker?.url ? this.deps.broker.baseUrl(vendor) : null;
  }

  /** Whether the session was enrolled with the broker (it was made with brokered keys). */
  async enrolled(sessionId: string): Promise<boolean> {
    return (await this.deps.broker?.enrolled(sessionId)) ?? false;
  }

  /** Enrols the session with the broker when it has brokered keys. */
  async enrol(sessionId: string, brokered: string[]): Promise<void> {
    if (brokered.length > 0) await this.deps.broker!.enrol(sessionId);
  }

  /** The placeholder of each brokered key, for the session's key files. */
  async placeholders(sessionId: string, brokered: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const name of brokered) out[name] = await this.deps.broker!.placeholder(sessionId, name);
    return out;
  }

  /** The session's broker enrolment goes (it ended). */
  async forget(sessionId: string): Promise<void> {
    await this.deps.broker?.forget(sessionId);
  }
}

/**
 * The profile's base URL variable pointed at the broker, for a session with brokered keys: the
 * profile's own base URL is where the broker forwards, not where the agent talks.
 */
export function brokeredBaseUrlEnv(
  profile: AgentProfile,
  brokered: readonly string[],
  brokerOrigin: string | undefined,
): Record<string, string> {
  if (brokered.length === 0 || !profile.seed) return {};
  return { [BASE_URL_VARIABLE[profile.seed]]: `${brokerOrigin}/${VENDOR_OF[profile.seed]}` };
}
