import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { BerthConfig } from '../config/config.js';
import { InvalidInput } from '../errors/berth-error.js';
import { DEFAULT_MIRROR } from '../images/session-image.js';
import type { SessionEgress } from '../session/session.js';
import {
  checkEgressMode,
  type EgressPolicy,
  formatAllowEntry,
  hostOfUrl,
  parseAllowEntry,
} from './egress-policy.js';

/**
 * A new session's egress: its request's mode and `--allow` hosts on top of the default
 * allow-list, which is what a session needs to work and no more: the package registry npm on
 * this machine uses, Debian's mirror, the git host of its remote, the model APIs, the config
 * file's `egress.allow` and BERTH_EGRESS_ALLOW.
 */

export interface EgressRequest {
  egress?: string;
  allow?: string[];
}

type EgressConfig = Pick<BerthConfig, 'egressMode' | 'egressAllow' | 'modelApis' | 'configFile'>;

const MAX_ALLOW = 64;

/** The `egress` section of the config file ({ "egress": { "mode": …, "allow": [ … ] } }). */
async function fromConfigFile(file: string): Promise<{ mode?: string; allow: string[] }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    // No file, or one the agent profiles' reader reports on: no egress settings from it.
    return { allow: [] };
  }
  const section = (parsed as { egress?: unknown } | null)?.egress;
  if (section === undefined) return { allow: [] };
  const s = section as { mode?: unknown; allow?: unknown };
  if (
    typeof section !== 'object' ||
    section === null ||
    (s.mode !== undefined && typeof s.mode !== 'string') ||
    (s.allow !== undefined &&
      (!Array.isArray(s.allow) || s.allow.some((h) => typeof h !== 'string') || s.allow.length > 256))
  ) {
    throw new InvalidInput(`${file}: egress is not { "mode": "allowlist", "allow": ["HOST", …] }`, {
      hint: 'fix the egress section of the config file (mode is allowlist, open or none; allow lists host names)',
    });
  }
  return { ...(s.mode === undefined ? {} : { mode: s.mode as string }), allow: (s.allow as string[]) ?? [] };
}

let npmRegistryHost: Promise<string | null> | null = null;

/** The host of the registry npm uses here (`npm config get registry`), asked once. */
function registryHost(): Promise<string | null> {
  npmRegistryHost ??= promisify(execFile)('npm', ['config', 'get', 'registry'], { timeout: 15_000 })
    .then(({ stdout }) => hostOfUrl(stdout.trim()))
    .catch(() => null);
  return npmRegistryHost;
}

/** berth's own part of every allow-list, for a session cloned from `remote` (or a local repo). */
export async function defaultAllowList(config: EgressConfig, remote: string | null): Promise<string[]> {
  const hosts = [
    await registryHost(),
    hostOfUrl(DEFAULT_MIRROR),
    remote ? hostOfUrl(remote) : null,
    ...Object.values(config.modelApis).map(hostOfUrl),
  ];
  return [...new Set(hosts.filter((h): h is string => h !== null))];
}

/**
 * What a new session may reach, or null for an unfiltered one (BERTH_EGRESS=off and no
 * `egress` asked for). Bad input is refused before anything is made.
 */
export async function sessionEgressFor(
  input: EgressRequest,
  config: EgressConfig,
  remote: string | null,
): Promise<SessionEgress | null> {
  const file = await fromConfigFile(config.configFile);
  const fileMode = file.mode === undefined ? undefined : checkEgressMode(file.mode);
  if (input.allow !== undefined && !Array.isArray(input.allow)) {
    throw new InvalidInput('allow is a list of host names', { hint: 'pass --allow HOST once per host' });
  }
  const asked = (input.allow ?? []).map((h) => formatAllowEntry(parseAllowEntry(String(h))));
  if (asked.length > MAX_ALLOW) {
    throw new InvalidInput(`${asked.length} hosts to allow; the most is ${MAX_ALLOW}`, {
      hint: 'allow a domain with *.example.org instead of each of its hosts',
    });
  }
  const mode =
    input.egress !== undefined
      ? checkEgressMode(input.egress)
      : (fileMode ?? (config.egressMode === 'off' ? null : config.egressMode));
  if (mode === null) {
    if (asked.length > 0) {
      throw new InvalidInput('--allow needs a filtered session, and this berth makes them unfiltered', {
        hint: 'add --egress allowlist, or set BERTH_EGRESS=allowlist for the daemon',
      });
    }
    return null;
  }
  if (mode !== 'allowlist') {
    if (asked.length > 0) {
      throw new InvalidInput(`--allow is for egress allowlist; this session's is ${mode}`, {
        hint: 'leave out --allow, or ask for --egress allowlist',
      });
    }
    return { mode, allow: [] };
  }
  const all = [
    ...(await defaultAllowList(config, remote)),
    ...config.egressAllow.map((h) => formatAllowEntry(parseAllowEntry(h))),
    ...file.allow.map((h) => formatAllowEntry(parseAllowEntry(h))),
    ...asked,
  ];
  return { mode, allow: [...new Set(all.map((h) => h.toLowerCase()))] };
}

/** The proxy's view of a stored session egress. */
export function policyOf(egress: SessionEgress): EgressPolicy {
  return { mode: egress.mode, allow: egress.allow.map(parseAllowEntry) };
}
