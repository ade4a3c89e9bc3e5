/**
 * What passes between an agent session's steps: the plan a create checks before anything is
 * made (profile, prompt, seed, whose credentials, how keys reach the agent), the parts that plan
 * adds to the container, and the names both use (the agent's HOME, its state volume). Kept apart
 * from AgentSessions so the modules that work out a plan's pieces (seeding, the broker's keys)
 * and the create pipeline can share these without importing the facade.
 */
import type { AgentStatusSource } from '@berth/api/agent-status';
import { taskOf } from '@berth/api/agent-status';
import { InvalidInput } from '../errors/berth-error.js';
import type { Mount } from '../runtime/runtime.js';
import type { AgentToolsUse } from './agent-preflight.js';
import type { AgentProfile } from './agent-profile.js';
import { type AgentSeed, AUTONOMIES, type Autonomy } from './agent-seeds.js';
import type { CredentialOwner } from './credential-owner.js';

/** The agent's HOME: the per-session state volume, so its conversation outlives the container's runs. */
export const AGENT_HOME = '/home/berth';

export const stateVolumeName = (sessionId: string) => `berth-state-${sessionId}`;

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
