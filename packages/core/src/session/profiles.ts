import type { BerthConfig } from '../config/config.js';
import { formatDuration, MAX_DURATION_SECONDS } from '../config/duration.js';
import { InvalidInput } from '../errors/berth-error.js';
import { type IdlePolicy, SESSION_KINDS, type SessionKind, type SessionLimits } from './session.js';

/** What decides a session's kind: an explicit `kind`, else an agent, else a preview, else a shell. */
export interface KindHints {
  kind?: SessionKind | undefined;
  agent?: unknown;
  preview?: unknown;
}

export function sessionKindFor(input: KindHints): SessionKind {
  if (input.kind !== undefined) {
    if (!(SESSION_KINDS as readonly string[]).includes(input.kind)) {
      throw new InvalidInput(`session kind ${JSON.stringify(input.kind)} is not known`, {
        hint: `use one of ${SESSION_KINDS.join(', ')}`,
      });
    }
    return input.kind;
  }
  if (input.agent !== undefined && input.agent !== null && input.agent !== '') return 'agent';
  if (input.preview !== undefined && input.preview !== null && input.preview !== false) return 'preview';
  return 'shell';
}

/** The resource profile of a kind: agents 2 GiB / 1 CPU, previews 1 GiB / 0.5 CPU, shells the server's defaults. */
export function defaultLimitsFor(
  kind: SessionKind,
  config: Pick<BerthConfig, 'defaultLimits' | 'kindLimits'>,
): SessionLimits {
  if (kind === 'shell') return { ...config.defaultLimits };
  const k = config.kindLimits[kind];
  return { cpus: k.cpus, memoryBytes: k.memoryBytes, pids: config.defaultLimits.pids };
}

export interface IdleInput {
  idleTimeoutSeconds?: number | undefined;
  idleAction?: IdlePolicy['action'] | undefined;
}

/** A session's idle policy: what it asked for over the seed of its kind. */
export function idlePolicyFor(
  kind: SessionKind,
  input: IdleInput,
  config: Pick<BerthConfig, 'idle'>,
): IdlePolicy {
  const seed: IdlePolicy = {
    timeoutSeconds: kind === 'agent' ? config.idle.agentTimeoutSeconds : config.idle.timeoutSeconds,
    action: config.idle.action,
  };
  return changeIdlePolicy(seed, input);
}

/** `current` with the change applied, both values checked. */
export function changeIdlePolicy(current: IdlePolicy, change: IdleInput): IdlePolicy {
  const timeoutSeconds = change.idleTimeoutSeconds ?? current.timeoutSeconds;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 0 || timeoutSeconds > MAX_DURATION_SECONDS) {
    throw new InvalidInput(
      `an idle timeout is whole seconds from 0 (never) to 30 days, not ${String(change.idleTimeoutSeconds)}`,
      { hint: 'pass --idle-timeout 10m, --idle-timeout 1h, or --idle-timeout 0 to never idle' },
    );
  }
  const action = change.idleAction ?? current.action;
  if (action !== 'pause' && action !== 'stop') {
    throw new InvalidInput(`an idle action is pause or stop, not ${JSON.stringify(change.idleAction)}`, {
      hint: 'pass --idle-action pause (keeps memory, frees the CPU) or --idle-action stop',
    });
  }
  return { timeoutSeconds, action };
}

/** The status reason an idle shutdown leaves: `idle for 5m: paused`. */
export function idleReason(policy: IdlePolicy): string {
  return `idle for ${formatDuration(policy.timeoutSeconds)}: ${policy.action === 'pause' ? 'paused' : 'stopped'}`;
}
