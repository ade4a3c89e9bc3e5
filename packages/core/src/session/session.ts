import type { AgentState, AgentStatusSource } from '@berth/api/agent-status';
import { SESSION_STATUSES, type SessionStatusName } from '@berth/api/session-verbs';
import type { EgressMode } from '../egress/egress-policy.js';
import { InvalidInput } from '../errors/berth-error.js';

// One list of statuses, in the contract every client reads.
export { SESSION_STATUSES };
export type SessionStatus = SessionStatusName;

declare const sessionNameBrand: unique symbol;
/** A lowercase slug: safe as a branch suffix, a container name part and a URL segment. */
export type SessionName = string & { readonly [sessionNameBrand]: true };

export interface SessionLimits {
  cpus: number;
  memoryBytes: number;
  pids: number;
}

/** What a session is for: its resource defaults and idle policy follow from it. */
export const SESSION_KINDS = ['shell', 'agent', 'preview'] as const;
export type SessionKind = (typeof SESSION_KINDS)[number];

/** The container runtime: the engine's default (runc) or gVisor's runsc where registered. */
export const SESSION_RUNTIMES = ['runc', 'gvisor'] as const;
export type SessionRuntime = (typeof SESSION_RUNTIMES)[number];

export interface IdlePolicy {
  /** Seconds without activity before the action; 0 never. */
  timeoutSeconds: number;
  action: 'pause' | 'stop';
}

/** The session's dev server, published on a host port leased to it. */
export interface PreviewState {
  /** What berth detected: vite, astro, next, node, python, static. */
  projectType: string;
  command: string[];
  containerPort: number;
  /** Leased from the configured range; null while none is held (session stopped). */
  hostPort: number | null;
  /** Whether the dev server answered its last health check; absent before the first one. */
  ready?: boolean;
}

/** What a session may reach outside itself, decided by berth's egress proxy. */
export interface SessionEgress {
  mode: EgressMode;
  /** Allow-list entries (`example.org`, `*.example.org`, `example.org:8443`), for `allowlist`. */
  allow: string[];
}

export interface GitIdentity {
  name: string;
  email: string;
}

export interface Session {
  id: string;
  name: SessionName;
  status: SessionStatus;
  /** Why the session is in its status, when that is not obvious (failure, exit, vanished). */
  statusReason: string | null;
  /** Absolute path of the host repository the session branches from. */
  repo: string;
  baseBranch: string;
  baseCommit: string;
  branch: string;
  image: string;
  containerId: string | null;
  /** The session's own git clone, bind-mounted at /workspace. */
  workspacePath: string | null;
  limits: SessionLimits;
  env: Record<string, string>;
  /** uid:gid the container runs as; it owns the workspace. */
  user: string;
  /** The berth user who made it; null for the host's owner (the unix socket). */
  ownerId: string | null;
  /** The team that shares it, if any. */
  teamId: string | null;
  description: string;
  kind: SessionKind;
  /** The agent profile run as the session's main process, if any. */
  agent: string | null;
  /** The first line of an agent session's prompt (what a card shows); null without one. */
  task: string | null;
  /** What the agent is doing, from its own signals and its process; null for other sessions. */
  agentStatus: AgentState | null;
  /** When agentStatus last changed. */
  agentStatusSince: string | null;
  /** The agent process's exit code once it exited. */
  agentExitCode: number | null;
  agentStatusSource: AgentStatusSource | null;
  /** The remote URL the session was cloned from (never with credentials), or null for a local repo. */
  remote: string | null;
  /** Whether an SSH key (kept encrypted, never returned) was given for the remote. */
  hasSshKey: boolean;
  gitUser: GitIdentity;
  runtime: SessionRuntime;
  idle: IdlePolicy;
  /** Last API call, exec, terminal input, preview request or CPU use seen. */
  lastActivityAt: string;
  preview: PreviewState | null;
  /**
   * Its egress policy: on a network of its own whose only way out is berth's proxy. Null for a
   * session made before berth filtered egress, or with BERTH_EGRESS=off: the shared network.
   */
  egress: SessionEgress | null;
  createdAt: string;
  updatedAt: string;
}

/** A session that has its container: what the verbs past their state check work on. */
export type LiveSession = Session & { containerId: string };

export function hasContainer(s: Session): s is LiveSession {
  return s.containerId !== null;
}

const NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** The shape of a session id: a name like it would make `get(id)` find the wrong session. */
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseSessionName(raw: unknown): SessionName {
  if (typeof raw !== 'string' || raw.length === 0) {
    throw new InvalidInput('a session name is required', { hint: 'pick a short slug such as `fix-login`' });
  }
  if (raw.length > 63) {
    throw new InvalidInput(`session name is ${raw.length} characters long; the limit is 63`, {
      hint: 'pick a shorter slug such as `fix-login`',
    });
  }
  if (!NAME_RE.test(raw)) {
    throw new InvalidInput(`session name ${JSON.stringify(raw)} is not a valid slug`, {
      hint: 'use lowercase letters, digits and inner hyphens only (no `/`, `..` or spaces), e.g. `fix-login`',
    });
  }
  if (UUID_RE.test(raw)) {
    throw new InvalidInput(`session name ${JSON.stringify(raw)} looks like a session id`, {
      hint: 'sessions are found by name or id, so a name cannot look like one; pick a slug such as `fix-login`',
    });
  }
  return raw as SessionName;
}

export function branchFor(name: SessionName): string {
  return `berth/${name}`;
}

/** Statuses after which the session holds no container and no working copy. */
export function isTerminal(status: SessionStatus): boolean {
  return status === 'finished' || status === 'cancelled' || status === 'failed';
}
