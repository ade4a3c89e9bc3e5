import { stat } from 'node:fs/promises';
import type { BerthConfig } from '../config/config.js';
import type { EventBus, SessionEvent } from '../events/event-bus.js';
import { isTerminal, type Session } from '../session/session.js';
import type { SessionStore } from '../store/store.js';
import type { AgentCredentials } from './agent-credentials.js';
import type { AgentCatalogue } from './agent-profile.js';
import { brokerableKeys, brokerUpstream } from './broker-keys.js';
import type { CredentialOwner } from './credential-owner.js';
import type { BrokerResolver, ModelVendor } from './key-broker.js';

/**
 * A bound on any entry's age, for a change berth itself does not make and so does not hear of (a
 * config file edited twice within its timestamps' granularity, another process on the database).
 * Every change berth makes is seen by the very next request (see BrokerResolution).
 */
export const BROKER_CACHE_MAX_AGE_MS = 5_000;
/** How often the config file is looked at (a stat): a profile edited there is seen within this. */
const CONFIG_RECHECK_MS = 1_000;

type Target = { key: string; upstream: string };

interface Entry {
  at: number;
  /** The config file as it was when the entry was read (configSignature). */
  config: string;
  value: Promise<Target | null>;
}

export interface BrokerResolutionDeps {
  config: BerthConfig;
  store: Pick<SessionStore, 'get'>;
  events: EventBus;
  credentials: AgentCredentials;
  /** The agent profiles as the config file has them now (AgentSessions.catalogue). */
  catalogue: () => Promise<AgentCatalogue>;
  /** Whose credentials a session uses (AgentSessions.credentialOwner). */
  credentialOwner: (s: Session, profile: string) => Promise<CredentialOwner>;
}

/**
 * The key broker's resolver: for a placeholder, the real key and the upstream, read once per
 * session and key instead of on every request (a turn streams many). What a request gets is what
 * reading it afresh would give: the session (alive, not over, its agent), whose credentials it has
 * (the owner recorded when they were put on the host), the profile and the owner's key.
 *
 * Kept right by:
 * - any event of the session (created, updated, status changed, deleted, agent status, container
 *   health): its entries go. SessionService publishes each after its write to the store;
 * - any change AgentCredentials makes (an owner's credentials set or removed, a refreshed login
 *   kept, a session's credentials put on the host or taken off): every entry goes, once it is made;
 * - the config file's stat, taken at most once a second (as often as the profile was read before
 *   this cache): a profile edited, added or removed is read again;
 * - BROKER_CACHE_MAX_AGE_MS, for what berth does not hear of.
 *
 * An entry is the read's promise, in the map from the moment of the miss, and an invalidation
 * deletes it at once: a request that arrives after a change never gets what a read begun before
 * it found. A refusal (null) is never kept, nor is an owner found through the session's owner chain
 * rather than recorded (an admin's role may change without an event).
 */
export class BrokerResolution {
  private readonly entries = new Map<string, Map<string, Entry>>();
  private readonly unsubscribe: Array<() => void>;
  private config: { at: number; signature: Promise<string> } | null = null;

  constructor(private readonly deps: BrokerResolutionDeps) {
    this.unsubscribe = [
      deps.events.subscribe((e) => this.entries.delete(sessionOf(e))),
      deps.credentials.onChange(() => this.entries.clear()),
    ];
  }

  readonly resolve: BrokerResolver = async (sessionId, keyName, vendor) => {
    const config = await this.configSignature();
    const slot = `${keyName}\0${vendor}`;
    const hit = this.entries.get(sessionId)?.get(slot);
    if (hit && hit.config === config && Date.now() - hit.at < BROKER_CACHE_MAX_AGE_MS) return hit.value;
    const read = this.read(sessionId, keyName, vendor);
    const entry: Entry = { at: Date.now(), config, value: read.then((r) => r.target) };
    let slots = this.entries.get(sessionId);
    if (!slots) {
      slots = new Map();
      this.entries.set(sessionId, slots);
    }
    slots.set(slot, entry);
    const drop = () => {
      const now = this.entries.get(sessionId);
      if (now?.get(slot) !== entry) return;
      now.delete(slot);
      if (now.size === 0) this.entries.delete(sessionId);
    };
    read.then((r) => (r.keep ? undefined : drop()), drop);
    return entry.value;
  };

  close(): void {
    for (const off of this.unsubscribe) off();
    this.entries.clear();
  }

  private async read(
    sessionId: string,
    keyName: string,
    vendor: ModelVendor,
  ): Promise<{ target: Target | null; keep: boolean }> {
    const { store, credentials, config } = this.deps;
    // A placeholder is good while its session lives and its profile still has that key.
    const s = await store.get(sessionId);
    if (!s?.agent || isTerminal(s.status)) return { target: null, keep: false };
    // The key is the session's owner's (security review F12), never another's.
    const recorded = await credentials.ownerOf(s.id);
    const owner = recorded ?? (await this.deps.credentialOwner(s, s.agent));
    const profile = (await this.deps.catalogue()).profiles.find((p) => p.name === s.agent);
    if (!profile || brokerableKeys(profile)[keyName] !== vendor) return { target: null, keep: false };
    const key = await credentials.key(profile.name, keyName, owner);
    if (!key) return { target: null, keep: false };
    return { target: { key, upstream: brokerUpstream(profile, vendor, config) }, keep: recorded !== null };
  }

  /** Which config file is there (as of the last second): a rewrite, in place or by rename, changes it. */
  private configSignature(): Promise<string> {
    const now = Date.now();
    if (this.config && now - this.config.at < CONFIG_RECHECK_MS) return this.config.signature;
    const signature = stat(this.deps.config.configFile, { bigint: true }).then(
      (st) => `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`,
      () => 'none',
    );
    this.config = { at: now, signature };
    return signature;
  }
}

function sessionOf(e: SessionEvent): string {
  return e.type === 'session.deleted' ? e.id : e.session.id;
}
