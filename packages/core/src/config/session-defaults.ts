import { cpusInBounds, LIMIT_BOUNDS } from '@berth/api/limits';
import { InvalidInput } from '../errors/berth-error.js';
import type { IdlePolicy, SessionRuntime } from '../session/session.js';
import { parseDuration } from './duration.js';
import { parseSize } from './size.js';

const CPUS = LIMIT_BOUNDS.cpus;

/** CPUs and memory a kind of session gets unless the caller asks otherwise (pids: the server's). */
export interface KindLimits {
  cpus: number;
  memoryBytes: number;
}

export interface IdleDefaults {
  /** Seeds the idle timeout of shell and preview sessions (BERTH_IDLE_TIMEOUT); 0 never. */
  timeoutSeconds: number;
  /** Seeds the idle timeout of agent sessions (BERTH_AGENT_IDLE_TIMEOUT, else BERTH_IDLE_TIMEOUT, else 5m). */
  agentTimeoutSeconds: number;
  action: IdlePolicy['action'];
  /** How often the idle watcher looks at running sessions (BERTH_IDLE_SWEEP_MS). */
  sweepMs: number;
  /** CPU use (percent of one CPU, averaged since the last sample) that counts as activity. */
  cpuPercent: number;
}

export interface IsolationDefaults {
  /** The runtime a session gets when it does not ask (BERTH_RUNTIME). */
  defaultRuntime: SessionRuntime;
  /** The name gVisor's runsc is registered under with the engine (BERTH_GVISOR_RUNTIME). */
  gvisorRuntime: string;
}

/** The session-shaping part of BerthConfig: resource profiles per kind, idle policy, isolation. */
export interface SessionDefaults {
  /** Shell sessions take `defaultLimits`; agents and previews these. */
  kindLimits: { agent: KindLimits; preview: KindLimits };
  idle: IdleDefaults;
  isolation: IsolationDefaults;
}

function cpusFrom(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!cpusInBounds(n)) {
    throw new InvalidInput(`${key}=${raw} is not a number of CPUs between ${CPUS.min} and ${CPUS.max}`, {
      hint: `unset ${key} or give it a number such as 0.5 or 2`,
    });
  }
  return n;
}

function sizeFrom(env: NodeJS.ProcessEnv, key: string, fallback: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  try {
    return parseSize(raw);
  } catch (err) {
    throw new InvalidInput(`${key}=${raw} is not a memory size of at least 6m`, {
      hint: `unset ${key} or give it a size such as 512m or 2g`,
      cause: err,
    });
  }
}

function durationFrom(env: NodeJS.ProcessEnv, key: string): number | undefined {
  const raw = env[key];
  if (raw === undefined || raw === '') return undefined;
  try {
    return parseDuration(raw, key);
  } catch (err) {
    throw new InvalidInput(`${key}=${raw} is not a duration`, {
      hint: `unset ${key} or give it seconds or a duration such as 5m or 1h (0 never idles)`,
      cause: err,
    });
  }
}

function numberFrom(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new InvalidInput(`${key}=${raw} is not a number between ${min} and ${max}`, {
      hint: `unset ${key} or give it a number in range`,
    });
  }
  return n;
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, key: string, allowed: readonly T[], fallback: T): T {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new InvalidInput(`${key}=${raw} is not one of ${allowed.join(', ')}`, {
      hint: `unset ${key} or set it to ${allowed.join(' or ')}`,
    });
  }
  return raw as T;
}

const RUNTIME_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Agent: 2 GiB and one CPU; preview: 1 GiB and half a CPU; agents idle out after 5m by default. */
export function sessionDefaultsFrom(env: NodeJS.ProcessEnv): SessionDefaults {
  const idleAll = durationFrom(env, 'BERTH_IDLE_TIMEOUT');
  const gvisorRuntime = env.BERTH_GVISOR_RUNTIME || 'runsc';
  if (!RUNTIME_NAME_RE.test(gvisorRuntime)) {
    throw new InvalidInput(`BERTH_GVISOR_RUNTIME=${gvisorRuntime} is not a runtime name`, {
      hint: 'give the name runsc is registered under in /etc/docker/daemon.json (usually runsc)',
    });
  }
  return {
    kindLimits: {
      agent: {
        cpus: cpusFrom(env, 'BERTH_AGENT_CPUS', 1),
        memoryBytes: sizeFrom(env, 'BERTH_AGENT_MEMORY', 2 * 1024 ** 3),
      },
      preview: {
        cpus: cpusFrom(env, 'BERTH_PREVIEW_CPUS', 0.5),
        memoryBytes: sizeFrom(env, 'BERTH_PREVIEW_MEMORY', 1024 ** 3),
      },
    },
    idle: {
      timeoutSeconds: idleAll ?? 0,
      agentTimeoutSeconds: durationFrom(env, 'BERTH_AGENT_IDLE_TIMEOUT') ?? idleAll ?? 300,
      action: oneOf(env, 'BERTH_IDLE_ACTION', ['pause', 'stop'] as const, 'pause'),
      sweepMs: numberFrom(env, 'BERTH_IDLE_SWEEP_MS', 5000, 50, 3_600_000),
      cpuPercent: numberFrom(env, 'BERTH_IDLE_CPU_PERCENT', 5, 0.1, 100),
    },
    isolation: {
      defaultRuntime: oneOf(env, 'BERTH_RUNTIME', ['runc', 'gvisor'] as const, 'runc'),
      gvisorRuntime,
    },
  };
}
