import { mkdir, realpath } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { InvalidInput } from '../errors/berth-error.js';
import type { SessionLimits } from '../session/session.js';
import { type EgressDefaults, egressDefaultsFrom } from './egress-defaults.js';
import { type MemberPolicy, memberPolicyFrom } from './member-policy.js';
import { type ModelApis, modelApisFrom } from './model-apis.js';
import { type SessionDefaults, sessionDefaultsFrom } from './session-defaults.js';
import { sessionProxyFrom } from './session-proxy.js';
import { parseSize } from './size.js';
import { parseTrustProxy } from './trust-proxy.js';

export { formatDuration, parseDuration } from './duration.js';
export { sessionProxyEnv } from './session-proxy.js';
export { parseSize, parseTrustProxy };

export interface BerthConfig extends SessionDefaults, MemberPolicy, EgressDefaults {
  /** All of berth's state: database, socket, working copies. */
  home: string;
  socketPath: string;
  databaseFile: string;
  /** A PostgreSQL server instead of the SQLite file (BERTH_DATABASE_URL): for a team's server. */
  databaseUrl?: string;
  workspacesDir: string;
  defaultImage: string;
  maxRunningSessions: number;
  /** Per berth user and per team; 0 means no cap beyond the server's. */
  maxRunningPerUser: number;
  maxRunningPerTeam: number;
  defaultLimits: SessionLimits;
  /** Bridge network every session joins; inter-container traffic is off on it. */
  sessionNetwork: string;
  /** uid:gid for sessions when the repository is owned by root. */
  fallbackUid: number;
  fallbackGid: number;
  tcp: { host: string; port: number } | null;
  /** Host names the server answers to on TCP besides loopback (BERTH_PUBLIC_HOSTS, comma-separated). */
  publicHosts: string[];
  /** Origins allowed to call the API cross-site (BERTH_CORS_ORIGINS); empty: CORS off. */
  corsOrigins: string[];
  /**
   * Reverse proxies (addresses, CIDR blocks) whose X-Forwarded-* headers count (BERTH_TRUST_PROXY);
   * empty: none, the scheme and client address are the connection's own.
   */
  trustProxy: string[];
  /** Host ports previews are published on (BERTH_PORT_RANGE, default 5000-8999). */
  portRange: { from: number; to: number };
  /** How long a preview's dev server may take to answer before its start fails (BERTH_PREVIEW_TIMEOUT). */
  previewReadySeconds: number;
  /** How often a running preview is health-checked (BERTH_PREVIEW_HEALTH_INTERVAL). */
  previewHealthSeconds: number;
  /**
   * The CA bundle handed to sessions (BERTH_CA_BUNDLE): `auto` mounts the host's bundle when the host
   * has extra CA certificates, `none` never, or an absolute path to a bundle file.
   */
  caBundle: string;
  /**
   * Proxy variables sessions get (BERTH_SESSION_PROXY=inherit, the default, without those carrying a
   * password; inherit-credentials; or none).
   */
  sessionProxyEnv: Record<string, string>;
  /** What the daemon logs once at start: settings to look at again (names, never secret values). */
  startWarnings: string[];
  /** The JSON config file with agent profiles (BERTH_CONFIG, default $BERTH_HOME/config.json). */
  configFile: string;
  /** Where the key broker forwards agents' model API requests (BERTH_ANTHROPIC_BASE_URL, …). */
  modelApis: ModelApis;
}

function caBundleFrom(env: NodeJS.ProcessEnv): string {
  const raw = (env.BERTH_CA_BUNDLE ?? '').trim();
  if (raw === '' || raw === 'auto') return 'auto';
  if (raw === 'none') return 'none';
  if (!raw.startsWith('/')) {
    throw new InvalidInput(`BERTH_CA_BUNDLE=${raw} is not an absolute path, auto or none`, {
      hint: 'give the path of a PEM bundle such as /etc/ssl/certs/ca-certificates.crt, or none',
    });
  }
  return resolve(raw);
}

export const DEFAULT_IMAGE = 'berth/session:bookworm';

function defaultHome(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_DATA_HOME;
  return xdg ? join(xdg, 'berth') : join(homedir(), '.local', 'share', 'berth');
}

function intFrom(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InvalidInput(`${key}=${raw} is not a whole number between ${min} and ${max}`, {
      hint: `unset ${key} or give it a number in range`,
    });
  }
  return n;
}

/** BERTH_DATABASE_URL: a `postgres://` or `postgresql://` URL; unset keeps the SQLite file. */
export function parseDatabaseUrl(raw: string): string {
  const hint =
    'give it the form postgres://USER:PASSWORD@HOST:5432/DATABASE, or unset it to keep the SQLite file under BERTH_HOME';
  // The value may hold a password: messages name its scheme only.
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  if (scheme !== 'postgres' && scheme !== 'postgresql') {
    const found = scheme ? ` (it starts with ${scheme}://)` : '';
    throw new InvalidInput(`BERTH_DATABASE_URL must start with postgres:// or postgresql://${found}`, {
      hint,
    });
  }
  if (!URL.canParse(raw)) {
    throw new InvalidInput('BERTH_DATABASE_URL is not a valid URL', {
      hint: `${hint}; percent-encode special characters in the password (@ is %40)`,
    });
  }
  return raw;
}

/** BERTH_PORT_RANGE: `FROM-TO`, both between 1024 and 65535. */
export function parsePortRange(raw: string): { from: number; to: number } {
  const m = /^\s*(\d{1,5})\s*-\s*(\d{1,5})\s*$/.exec(raw);
  const from = Number(m?.[1]);
  const to = Number(m?.[2]);
  if (!m || from < 1024 || to > 65535 || from > to) {
    throw new InvalidInput(`BERTH_PORT_RANGE=${raw} is not a range of ports such as 5000-8999`, {
      hint: 'give two port numbers between 1024 and 65535, the lower first, or unset it',
    });
  }
  return { from, to };
}

/** One typed configuration, from defaults and BERTH_* variables, validated once at start. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BerthConfig {
  const home = resolve(env.BERTH_HOME || defaultHome(env));
  const tcpPort = env.BERTH_PORT ? intFrom(env, 'BERTH_PORT', 0, 1, 65535) : null;
  const proxy = sessionProxyFrom(env);
  return {
    home,
    socketPath: join(home, 'berth.sock'),
    databaseFile: join(home, 'berth.db'),
    ...(env.BERTH_DATABASE_URL ? { databaseUrl: parseDatabaseUrl(env.BERTH_DATABASE_URL) } : {}),
    workspacesDir: join(home, 'workspaces'),
    defaultImage: env.BERTH_IMAGE || DEFAULT_IMAGE,
    maxRunningSessions: intFrom(env, 'BERTH_MAX_RUNNING', 5, 1, 1000),
    maxRunningPerUser: intFrom(env, 'BERTH_MAX_RUNNING_PER_USER', 0, 0, 1000),
    maxRunningPerTeam: intFrom(env, 'BERTH_MAX_RUNNING_PER_TEAM', 0, 0, 1000),
    defaultLimits: {
      cpus: 1,
      memoryBytes: env.BERTH_DEFAULT_MEMORY ? parseSize(env.BERTH_DEFAULT_MEMORY) : 2 * 1024 ** 3,
      pids: intFrom(env, 'BERTH_DEFAULT_PIDS', 512, 16, 1_000_000),
    },
    sessionNetwork: env.BERTH_NETWORK || 'berth-sessions',
    fallbackUid: intFrom(env, 'BERTH_SESSION_UID', 1000, 1, 2 ** 31 - 1),
    fallbackGid: intFrom(env, 'BERTH_SESSION_GID', 1000, 1, 2 ** 31 - 1),
    tcp: tcpPort ? { host: env.BERTH_HOST || '127.0.0.1', port: tcpPort } : null,
    corsOrigins: (env.BERTH_CORS_ORIGINS ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy: parseTrustProxy(env.BERTH_TRUST_PROXY),
    portRange: parsePortRange(env.BERTH_PORT_RANGE || '5000-8999'),
    previewReadySeconds: intFrom(env, 'BERTH_PREVIEW_TIMEOUT', 120, 1, 3600),
    previewHealthSeconds: intFrom(env, 'BERTH_PREVIEW_HEALTH_INTERVAL', 15, 1, 3600),
    caBundle: caBundleFrom(env),
    sessionProxyEnv: proxy.env,
    startWarnings: proxy.warnings,
    configFile: resolve(env.BERTH_CONFIG || join(home, 'config.json')),
    modelApis: modelApisFrom(env),
    publicHosts: (env.BERTH_PUBLIC_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter(Boolean),
    ...sessionDefaultsFrom(env),
    ...memberPolicyFrom(env),
    ...egressDefaultsFrom(env),
  };
}

/** `path` moved from under `from` to under `to`; a path outside `from` is returned as it is. */
function rebase(path: string, from: string, to: string): string {
  const rel = relative(from, path);
  if (rel.startsWith('..') || isAbsolute(rel)) return path;
  return join(to, rel);
}

/**
 * The configuration with BERTH_HOME, made if need be, as its real path, and every path under it
 * derived from that one. berth tells a session's own files from a user's repository by comparing
 * paths: a BERTH_HOME reached through a symlink must not make the same directory look like two.
 */
export async function canonicalConfig(config: BerthConfig): Promise<BerthConfig> {
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  const home = await realpath(config.home);
  const workspacesDir = rebase(config.workspacesDir, config.home, home);
  await mkdir(workspacesDir, { recursive: true, mode: 0o700 });
  return {
    ...config,
    home,
    socketPath: rebase(config.socketPath, config.home, home),
    databaseFile: rebase(config.databaseFile, config.home, home),
    workspacesDir: await realpath(workspacesDir),
    configFile: rebase(config.configFile, config.home, home),
  };
}
