import { availableParallelism, totalmem } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { cpusInBounds, LIMIT_BOUNDS } from '@berth/api/limits';
import { InvalidInput } from '../errors/berth-error.js';
import type { SessionLimits } from '../session/session.js';
import { parseSize } from './size.js';

const CPUS = LIMIT_BOUNDS.cpus;

/**
 * What a member (a non-admin user of a team server) may ask of the host: the operator's bounds.
 * Admins and the host's owner are not held to them.
 */
export interface MemberPolicy {
  /** The most one member's session may get (BERTH_MAX_SESSION_CPUS, _MEMORY, _PIDS). */
  memberCeilings: SessionLimits;
  /** Images a member may name (BERTH_MEMBER_IMAGES); null: berth's own and the agent profiles'. */
  memberImages: string[] | null;
  /** Directories under which a member may name a local repository (BERTH_REPO_ROOTS); none: remote URLs only. */
  repoRoots: string[];
}

export const DEFAULT_MAX_SESSION_PIDS = 4096;

function ceilingCpus(env: NodeJS.ProcessEnv): number {
  const raw = env.BERTH_MAX_SESSION_CPUS;
  if (raw === undefined || raw === '') return availableParallelism();
  const n = Number(raw);
  if (!cpusInBounds(n)) {
    throw new InvalidInput(
      `BERTH_MAX_SESSION_CPUS=${raw} is not a number of CPUs between ${CPUS.min} and ${CPUS.max}`,
      {
        hint: "unset it (a member's session may use all the host's CPUs) or give a number such as 2",
      },
    );
  }
  return n;
}

function ceilingMemory(env: NodeJS.ProcessEnv): number {
  const raw = env.BERTH_MAX_SESSION_MEMORY;
  if (raw === undefined || raw === '') return totalmem();
  try {
    return parseSize(raw);
  } catch (err) {
    throw new InvalidInput(`BERTH_MAX_SESSION_MEMORY=${raw} is not a memory size of at least 6m`, {
      hint: "unset it (a member's session may ask for the host's memory) or give a size such as 8g",
      cause: err,
    });
  }
}

function ceilingPids(env: NodeJS.ProcessEnv): number {
  const raw = env.BERTH_MAX_SESSION_PIDS;
  if (raw === undefined || raw === '') return DEFAULT_MAX_SESSION_PIDS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 16 || n > 1_000_000) {
    throw new InvalidInput(`BERTH_MAX_SESSION_PIDS=${raw} is not a whole number between 16 and 1000000`, {
      hint: `unset it (${DEFAULT_MAX_SESSION_PIDS}) or give a number such as 2048`,
    });
  }
  return n;
}

/** Comma-separated: image references hold colons (their tags). */
function memberImagesFrom(env: NodeJS.ProcessEnv): string[] | null {
  const raw = env.BERTH_MEMBER_IMAGES;
  if (raw === undefined || raw.trim() === '') return null;
  return raw
    .split(',')
    .map((i) => i.trim())
    .filter(Boolean);
}

/** BERTH_REPO_ROOTS: absolute paths, colon- or comma-separated (as PATH is, or as a list is). */
function repoRootsFrom(env: NodeJS.ProcessEnv): string[] {
  const roots = (env.BERTH_REPO_ROOTS ?? '')
    .split(/[:,]/)
    .map((r) => r.trim())
    .filter(Boolean);
  for (const r of roots) {
    if (!isAbsolute(r)) {
      throw new InvalidInput(`BERTH_REPO_ROOTS names ${JSON.stringify(r)}, which is not an absolute path`, {
        hint: 'give absolute directories such as /srv/repos:/home/shared/repos, or unset it',
      });
    }
  }
  return roots.map((r) => resolve(r));
}

export function memberPolicyFrom(env: NodeJS.ProcessEnv): MemberPolicy {
  return {
    memberCeilings: { cpus: ceilingCpus(env), memoryBytes: ceilingMemory(env), pids: ceilingPids(env) },
    memberImages: memberImagesFrom(env),
    repoRoots: repoRootsFrom(env),
  };
}
