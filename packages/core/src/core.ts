import { join } from 'node:path';
import { AgentCredentials } from './agents/agent-credentials.js';
import { AgentSessions } from './agents/agent-sessions.js';
import { AgentStatusTracker } from './agents/agent-status.js';
import type { AgentTool } from './agents/agent-tools.js';
import { AgentToolsVolume } from './agents/agent-tools-volume.js';
import { BrokerResolution } from './agents/broker-resolution.js';
import { claimCredentialsRoot } from './agents/credentials-root.js';
import { KeyBroker } from './agents/key-broker.js';
import { type Clock, systemClock } from './clock/clock.js';
import { type BerthConfig, canonicalConfig } from './config/config.js';
import { EgressGateway } from './egress/egress-gateway.js';
import { EgressLog } from './egress/egress-log.js';
import { EgressProxy } from './egress/egress-proxy.js';
import { policyOf } from './egress/session-egress.js';
import { SessionNetworks } from './egress/session-networks.js';
import { InProcessEventBus } from './events/event-bus.js';
import { DEFAULT_SESSION_IMAGE } from './images/session-image.js';
import { type Logger, silentLogger } from './logger.js';
import { StorePortAllocator } from './ports/store-port-allocator.js';
import { PreviewManager } from './previews/preview-manager.js';
import { DockerRuntime } from './runtime/docker-runtime.js';
import type { ContainerRuntime, EngineCallObserver } from './runtime/runtime.js';
import { SecretBox } from './secrets/secret-box.js';
import { Secrets } from './secrets/secrets.js';
import { IdleWatcher } from './session/idle-watcher.js';
import { Reconciler } from './session/reconciler.js';
import { isTerminal } from './session/session.js';
import { SessionLedger } from './session/session-ledger.js';
import { SessionService } from './session/session-service.js';
import { openStore } from './store/open-store.js';
import type { Store } from './store/store.js';
import { GitWorkspaces } from './workspace/git-workspace.js';
import { RemoteRepos } from './workspace/remote-repos.js';
import { WorkCollector } from './workspace/work-collector.js';

export interface Core {
  config: BerthConfig;
  service: SessionService;
  /** Every session's record, its lock and its activity: what changes a session goes through it. */
  ledger: SessionLedger;
  reconciler: Reconciler;
  /** Pauses or stops sessions idle for their timeout; runs from startWatching until close. */
  idle: IdleWatcher;
  runtime: ContainerRuntime;
  events: InProcessEventBus;
  /** SQLite under BERTH_HOME, or PostgreSQL when config.databaseUrl is set. */
  store: Store;
  /** SSH keys, API keys and credentials, sealed with the key under BERTH_HOME. */
  secrets: Secrets;
  /** Host ports for previews, leased in the database. */
  ports: StorePortAllocator;
  /** Dev servers of sessions: their host ports, forwarders and health (the server proxies to them). */
  previews: PreviewManager;
  /** Agent profiles, their credentials, and the agent side of sessions. */
  agents: AgentSessions;
  /** The egress proxy's decisions per session, counted and written about once a second. */
  egressLog: EgressLog;
  /** Starts following engine events; resolves once the first reconciliation is done. */
  startWatching(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenCoreOptions {
  /** Hears of every Docker Engine call (the server's metrics). */
  observeEngine?: EngineCallObserver;
  /** Where sessions' credentials are put on the host (default: a tmpfs, see claimCredentialsRoot). */
  credentialsRoot?: string;
  /** The agents berth installs for sessions (default: the pinned AGENT_TOOLS). */
  agentTools?: readonly AgentTool[];
  /** What time it is (default: the system's); tests give a clock they move themselves. */
  clock?: Clock;
}

/** Wires the real adapters together: the one place that knows every concrete class. */
export async function openCore(
  given: BerthConfig,
  logger: Logger = silentLogger,
  opts: OpenCoreOptions = {},
): Promise<Core> {
  // From here on every path is the real one (security review F3): comparisons of a path a caller
  // gives with berth's own directories are only sound between real paths.
  const config = await canonicalConfig(given);
  const clock = opts.clock ?? systemClock;
  const store = await openStore(config, logger);
  const secrets = new Secrets(await SecretBox.open(config.home), store, clock);
  const ports = new StorePortAllocator(store, config.portRange, clock);
  const egressLog = new EgressLog({ store: store.egressLog, logger });
  const runtime = new DockerRuntime({ home: config.home, onCall: opts.observeEngine });
  const events = new InProcessEventBus();
  // Caches of remote repositories (`--repo URL`), by the real path their sessions' refs name.
  const reposDir = join(config.home, 'repos');
  const remotes = new RemoteRepos({
    reposDir,
    knownHostsFile: join(config.home, 'known_hosts'),
    forbiddenDirs: [config.home],
  });
  const workspaces = new GitWorkspaces({
    workspacesDir: config.workspacesDir,
    reposDir,
    berthHome: config.home,
  });
  // Filtered sessions' way out (the egress proxy, through berth's relay) and their networks.
  const egressProxy = new EgressProxy({ logger, record: (e) => egressLog.record(e) });
  const gateway = new EgressGateway({
    host: runtime.relayHost(),
    home: config.home,
    logger,
    image: DEFAULT_SESSION_IMAGE,
    proxy: egressProxy,
    policyOf: async (id) => {
      const s = await store.get(id);
      return s?.egress && !isTerminal(s.status) ? policyOf(s.egress) : null;
    },
    broker: (socket, head) => broker.accept(socket, head),
  });
  const networks = new SessionNetworks({ config, runtime, logger, gateway });
  const unwatchNetworks = networks.watch(events);
  const ledger = new SessionLedger({ store, events, clock });
  const previews = new PreviewManager({ config, store, runtime, ports, events, logger, networks, ledger });
  const credentials = new AgentCredentials({
    secrets,
    root: opts.credentialsRoot ?? (await claimCredentialsRoot(config.home, logger)),
    logger,
  });
  const tools = opts.agentTools
    ? new AgentToolsVolume({ runtime, config, logger, tools: opts.agentTools })
    : undefined;
  const agentStatus = new AgentStatusTracker({
    root: join(config.home, 'agent-status'),
    store,
    events,
    clock,
    logger,
  });
  await agentStatus.start();
  // What the broker puts into a placeholder's requests, read once per session and key and dropped
  // on the next change to the session or to any credentials (BrokerResolution).
  const resolution = new BrokerResolution({
    config,
    store,
    events,
    credentials,
    catalogue: () => agents.catalogue(),
    credentialOwner: (s, profile) => agents.credentialOwner(s, profile),
  });
  const broker = new KeyBroker({ secrets, home: config.home, logger, resolve: resolution.resolve });
  const agents: AgentSessions = new AgentSessions({
    config,
    runtime,
    credentials,
    logger,
    status: agentStatus,
    broker,
    isAdmin: async (id) => (await store.accounts.getUser(id))?.role === 'admin',
    ...(tools ? { tools } : {}),
  });
  const collector = new WorkCollector({ runtime, config, logger });
  const service = new SessionService({
    config,
    ledger,
    store,
    runtime,
    workspaces,
    collector,
    logger,
    secrets,
    remotes,
    previews,
    agents,
    networks,
  });
  const unwatchPreviews = previews.watch();
  // Logins the agents refreshed while running are kept as they go, not only when a session ends.
  const harvesting = setInterval(() => {
    void store
      .list({ statuses: ['running'] })
      .then((running) => Promise.all(running.filter((s) => s.agent).map((s) => agents.harvest(s))))
      .catch((err) => logger.warn({ err }, 'keeping refreshed agent logins failed'));
  }, 60_000);
  harvesting.unref();
  const reconciler = new Reconciler({
    ledger,
    work: service.work,
    store,
    runtime,
    logger,
    events,
    agents,
    collector,
    networks,
  });
  const idle = new IdleWatcher({ service, ledger, store, runtime, clock, logger, config });
  const stop = new AbortController();
  let watching: Promise<void> | null = null;
  // Engine events being applied right now: close() lets them finish before the store goes.
  const applying = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    applying.add(p);
    void p.finally(() => applying.delete(p));
  };
  return {
    config,
    service,
    ledger,
    reconciler,
    idle,
    runtime,
    events,
    store,
    secrets,
    ports,
    previews,
    agents,
    egressLog,
    async startWatching() {
      // Events from just before the first reconciliation on are replayed, so nothing the engine
      // does between that listing and the subscription goes unseen.
      const since = Math.floor(Date.now() / 1000) - 1;
      await reconciler.reconcileAll();
      // Agents of sessions made before this start reach the key broker again.
      await agents
        .resumeBroker(await store.list())
        .catch((err) => logger.warn({ err }, 'the key broker could not listen again'));
      // Running previews listen on their leased ports again; stale leases are given back.
      await previews.restoreAll();
      previews.startHealthChecks();
      watching = runtime.events(
        stop.signal,
        (e) => {
          track(
            reconciler.onEvent(e).catch((err) => logger.warn({ err }, 'could not apply an engine event')),
          );
        },
        () => {
          track(
            reconciler
              .reconcileAll()
              .catch((err) => logger.warn({ err }, 'reconciliation after reconnect failed')),
          );
        },
        since,
      );
      idle.start();
    },
    async close() {
      stop.abort();
      agentStatus.stop();
      clearInterval(harvesting);
      await idle.stop();
      unwatchPreviews();
      unwatchNetworks();
      await previews.close();
      await gateway.close();
      egressProxy.close();
      await broker.close();
      resolution.close();
      await watching;
      await Promise.all(applying);
      await egressLog.close();
      await store.close();
    },
  };
}
