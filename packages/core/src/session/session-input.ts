import { cpusInBounds, LIMIT_BOUNDS } from '@berth/api/limits';
import { InvalidInput } from '../errors/berth-error.js';
import type { CreateSessionInput } from './create-session.js';
import type { SessionLimits } from './session.js';

/** The checks of what a create or an update is given: each refuses with what to pass instead. */

const ENV_KEY_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export function checkEnv(env: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!ENV_KEY_RE.test(k))
      throw new InvalidInput(`environment variable name ${JSON.stringify(k)} is not valid`);
    if (typeof v !== 'string' || v.includes('\0') || v.length > 32_768) {
      throw new InvalidInput(`environment variable ${k} has a value berth cannot pass (NUL, or over 32 KiB)`);
    }
    out[k] = v;
  }
  return out;
}

export function checkDescription(raw: string | undefined): string {
  const d = raw ?? '';
  if (typeof d !== 'string' || d.length > 2000 || d.includes('\0')) {
    throw new InvalidInput('a description is text of at most 2,000 characters');
  }
  return d;
}

export function checkLimits(
  input: Pick<CreateSessionInput, 'cpus' | 'memoryBytes' | 'pids'>,
  defaults: SessionLimits,
): SessionLimits {
  const cpus = input.cpus ?? defaults.cpus;
  const { cpus: c, memoryBytes: m, pids: p } = LIMIT_BOUNDS;
  if (!cpusInBounds(cpus)) {
    throw new InvalidInput(`cpus must be a number between ${c.min} and ${c.max}, not ${String(input.cpus)}`);
  }
  const memoryBytes = input.memoryBytes ?? defaults.memoryBytes;
  if (!Number.isInteger(memoryBytes) || memoryBytes < m.min || memoryBytes > m.max) {
    throw new InvalidInput('memory must be at least 6m', { hint: 'pass --memory 512m or --memory 2g' });
  }
  const pids = input.pids ?? defaults.pids;
  if (!Number.isInteger(pids) || pids < p.min || pids > p.max) {
    throw new InvalidInput(
      `pids must be a whole number between ${p.min} and ${p.max}, not ${String(input.pids)}`,
      {
        hint: 'pass --pids 512, or leave it out for the default',
      },
    );
  }
  return { cpus, memoryBytes, pids };
}
