export {
  parseUsername,
  type Role,
  type Team,
  type TokenKind,
  type TokenRecord,
  type User,
  type UserRecord,
} from './accounts/account.js';
export type { AccountStore } from './accounts/account-store.js';
export { AgentCredentials, type CredentialStatus } from './agents/agent-credentials.js';
export { SECRETS_MOUNT } from './agents/agent-launcher.js';
export { AGENT_HOME, stateVolumeName } from './agents/agent-plan.js';
export {
  type AgentCatalogue,
  type AgentProfile,
  findProfile as findAgentProfile,
  loadAgentProfiles,
} from './agents/agent-profile.js';
export { AgentSessions } from './agents/agent-sessions.js';
export {
  AGENT_TOOLS,
  AGENTS_MOUNT,
  type AgentTool,
  type AgentToolsManifest,
  agentsVolumeName,
  type ToolNeeds,
} from './agents/agent-tools.js';
export { type AgentToolsStatus, AgentToolsVolume } from './agents/agent-tools-volume.js';
export {
  type CredentialOwner,
  credentialScope,
  HOST_OWNER,
  ownerChain,
} from './agents/credential-owner.js';
export { MAX_CREDENTIAL_DIR_BYTES, readCredentialTar } from './agents/credential-tar.js';
export { defaultCredentialsRoot } from './agents/credentials-root.js';
export type { AuditEntry, AuditLog } from './audit/audit-log.js';
export type { Clock } from './clock/clock.js';
export { systemClock } from './clock/clock.js';
export {
  type BerthConfig,
  DEFAULT_IMAGE,
  loadConfig,
  parseDatabaseUrl,
  parsePortRange,
  parseSize,
  sessionProxyEnv,
} from './config/config.js';
export { formatDuration, MAX_DURATION_SECONDS, parseDuration } from './config/duration.js';
export type {
  IdleDefaults,
  IsolationDefaults,
  KindLimits,
  SessionDefaults,
} from './config/session-defaults.js';
export { type Core, type OpenCoreOptions, openCore } from './core.js';
export {
  EGRESS_OVERFLOW_HOST,
  type EgressDecisionSummary,
  EgressLog,
  type EgressLogOptions,
  type EgressReport,
} from './egress/egress-log.js';
export * from './errors/berth-error.js';
export {
  type ContainerHealth,
  type ContainerHealthEvent,
  type EventBus,
  InProcessEventBus,
  type SessionEvent,
} from './events/event-bus.js';
export { hostCaCertificates, imageTools } from './images/image-tools.js';
export {
  BOOTSTRAP_BASE_IMAGE,
  bootstrapBaseImage,
  buildSessionImage,
  DEFAULT_SESSION_IMAGE,
  sessionImageStatus,
} from './images/session-image.js';
export { type Logger, silentLogger } from './logger.js';
export type { PortAllocator, PortLease } from './ports/port-allocator.js';
export type { PortLeaseStore } from './ports/port-lease-store.js';
export { hostPortFree, type PortRange, StorePortAllocator } from './ports/store-port-allocator.js';
export {
  type DevServer,
  forwardRequest,
  forwardUpgrade,
  fromOwnOrigin,
  refusePreview,
  SAFE_METHODS,
} from './previews/http-forward.js';
export { answersHttp, PREVIEW_LOG, PreviewManager } from './previews/preview-manager.js';
export {
  checkPreviewRequest,
  detectProject,
  type PreviewPlan,
  type PreviewRequest,
  parseProjectFacts,
  planPreview,
} from './previews/project-detection.js';
export { dockerCreateOptions } from './runtime/docker-create-options.js';
export { DockerImages } from './runtime/docker-images.js';
export { DockerRelayHost } from './runtime/docker-relay-host.js';
export { DockerRuntime } from './runtime/docker-runtime.js';
export type { ImageEngine, ImageProgress, ImageStatus } from './runtime/images.js';
export {
  GVISOR_PIDS_HEADROOM,
  type GvisorCapability,
  gvisorCapability,
  gvisorInstallHint,
  type Isolation,
  resolveIsolation,
} from './runtime/isolation.js';
export {
  LABEL_HOME,
  LABEL_MANAGED,
  LABEL_ROLE,
  LABEL_SESSION_ID,
  LABEL_SESSION_NAME,
  ROLE_COLLECTOR,
  ROLE_RELAY,
} from './runtime/labels.js';
export type { HostNetwork, HostNetworkSpec, RelayHost, RelaySpec } from './runtime/relay-host.js';
export type {
  ContainerRuntime,
  ContainerSpec,
  ContainerState,
  ContainerStats,
  Dialer,
  EngineCallObserver,
  EngineInfo,
  ExecResult,
  InteractiveExec,
  LogChunk,
  RuntimeCapabilities,
} from './runtime/runtime.js';
export { SESSION_CA_PATH, sessionTrust } from './runtime/session-trust.js';
export { SecretBox } from './secrets/secret-box.js';
export type { SecretStore } from './secrets/secret-store.js';
export { Secrets } from './secrets/secrets.js';
export { IdleWatcher, type IdleWatcherDeps } from './session/idle-watcher.js';
export { assertMemberImage, assertWithinCeilings, memberImages } from './session/member-policy.js';
export {
  changeIdlePolicy,
  defaultLimitsFor,
  idlePolicyFor,
  idleReason,
  sessionKindFor,
} from './session/profiles.js';
export { Reconciler } from './session/reconciler.js';
export {
  branchFor,
  type GitIdentity,
  type IdlePolicy,
  isTerminal,
  type PreviewState,
  parseSessionName,
  SESSION_KINDS,
  SESSION_RUNTIMES,
  SESSION_STATUSES,
  type Session,
  type SessionKind,
  type SessionLimits,
  type SessionName,
  type SessionRuntime,
  type SessionStatus,
} from './session/session.js';
export {
  type CreateSessionInput,
  type FinishOptions,
  type Progress,
  type SessionChange,
  SessionService,
  type StatusChangeOptions,
} from './session/session-service.js';
export { canTransition } from './session/state-machine.js';
export type { EgressLogRow, EgressLogStore } from './store/egress-log-store.js';
export { openStore } from './store/open-store.js';
export { PostgresStore, type PostgresStoreOptions, redactDatabaseUrl } from './store/postgres-store.js';
export { SqliteStore } from './store/sqlite-store.js';
export type { SessionStore, Store, StoreDialect } from './store/store.js';
export { GitWorkspaces, sessionRefs } from './workspace/git-workspace.js';
export { stripControl } from './workspace/host-git.js';
export { parseRemote, RemoteRepos, type RemoteUrl } from './workspace/remote-repos.js';
export { assertMemberRepo } from './workspace/repo-roots.js';
export { parseSshKey } from './workspace/ssh-key.js';
export type { WorkingCopies } from './workspace/working-copies.js';
