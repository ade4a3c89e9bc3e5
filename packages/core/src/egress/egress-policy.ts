import { networkInterfaces } from 'node:os';
import ipaddr from 'ipaddr.js';
import { InvalidInput } from '../errors/berth-error.js';

/**
 * What a session may reach outside itself (berth's egress proxy decides, per connection):
 *   allowlist  the hosts on its allow-list, on ports 80 and 443 (or the port an entry names)
 *   open       any host on the internet
 *   none       nothing
 * In every mode, never: this machine and its services, the LAN and private ranges, link-local
 * and metadata addresses, loopback, multicast; what a name resolves to is checked, not the name.
 */
export type EgressMode = 'open' | 'allowlist' | 'none';
export const EGRESS_MODES: readonly EgressMode[] = ['open', 'allowlist', 'none'];

/** One allow-list entry: a host name, `*.` and a domain (its subdomains), optionally `:PORT`. */
export interface AllowEntry {
  host: string;
  wildcard: boolean;
  port: number | null;
}

export interface EgressPolicy {
  mode: EgressMode;
  allow: AllowEntry[];
}

export interface EgressDecision {
  allowed: boolean;
  /** Why, in a few words (shown by `berth egress`). */
  reason: string;
}

const DEFAULT_PORTS = new Set([80, 443]);
const HOST_RE =
  /^(?=.{1,253}$)([a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

export function checkEgressMode(raw: unknown): EgressMode {
  if (typeof raw === 'string' && (EGRESS_MODES as readonly string[]).includes(raw)) return raw as EgressMode;
  throw new InvalidInput(
    `egress is one of ${EGRESS_MODES.join(', ')}, not ${JSON.stringify(raw).slice(0, 40)}`,
    {
      hint: '`allowlist` (the default: package registries, the git host, the model API and what --allow adds), `open` or `none`',
    },
  );
}

/** `example.org`, `*.example.org`, `example.org:8443`: an entry of `--allow` or the config file. */
export function parseAllowEntry(raw: string): AllowEntry {
  const text = raw.trim().toLowerCase().replace(/\.$/, '');
  const m = /^(\*\.)?([^:]+)(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[3] === undefined ? null : Number(m[3]);
  if (!m || !HOST_RE.test(m[2]!) || ipaddr.isValid(m[2]!) || (port !== null && (port < 1 || port > 65535))) {
    throw new InvalidInput(`${JSON.stringify(raw.slice(0, 100))} is not a host to allow`, {
      hint: 'give a host name such as example.org, *.example.org for its subdomains, or example.org:8443; addresses are not allowed by number',
    });
  }
  return { host: m[2]!, wildcard: m[1] !== undefined, port };
}

export function formatAllowEntry(e: AllowEntry): string {
  return `${e.wildcard ? '*.' : ''}${e.host}${e.port === null ? '' : `:${e.port}`}`;
}

/** The host of a URL (a registry, a git remote, a model API), or null for one without a name. */
export function hostOfUrl(url: string): string | null {
  try {
    const u = new URL(url);
    return u.hostname && !ipaddr.isValid(u.hostname.replace(/^\[|\]$/g, ''))
      ? u.hostname.toLowerCase()
      : null;
  } catch {
    // scp-like git remotes: user@host:path
    const m = /^[^@/]+@([^:/]+):/.exec(url);
    return m ? m[1]!.toLowerCase() : null;
  }
}

/** Whether the policy lets a session ask for `host:port` at all (before any address is looked at). */
export function decideHost(policy: EgressPolicy, host: string, port: number): EgressDecision {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (policy.mode === 'none') return { allowed: false, reason: 'egress none' };
  if (ipaddr.isValid(name.replace(/^\[|\]$/g, '')) && policy.mode === 'allowlist') {
    return { allowed: false, reason: 'an address, not an allow-listed name' };
  }
  if (policy.mode === 'open') return { allowed: true, reason: 'egress open' };
  for (const e of policy.allow) {
    const matches = e.wildcard ? name.endsWith(`.${e.host}`) : name === e.host;
    if (!matches) continue;
    if (e.port === null ? DEFAULT_PORTS.has(port) : e.port === port) {
      return { allowed: true, reason: `allow-listed (${formatAllowEntry(e)})` };
    }
  }
  return { allowed: false, reason: 'not on the allow-list' };
}

/** Ranges no session ever reaches, whatever its mode. */
const NEVER = new Set([
  'unspecified',
  'broadcast',
  'multicast',
  'linkLocal',
  'loopback',
  'carrierGradeNat',
  'private',
  'reserved',
  'uniqueLocal',
  'ipv4Mapped',
  'rfc6145',
  'rfc6052',
  '6to4',
  'teredo',
  'benchmarking',
  'amt',
  'as112v6',
  'deprecated',
  'orchid2',
  'droneRemoteIdProtocolEntityTags',
  'discard',
]);
/** Documentation ranges ipaddr.js calls reserved: public as far as reaching them goes. */
const DOCUMENTATION = ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24'].map((c) => ipaddr.parseCIDR(c));

/**
 * This machine's own addresses and the subnets it sits on (its LAN), whatever their range: a
 * host on a public-looking address still must not be reached through itself.
 */
export function localNetworks(): Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> {
  const out: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]> = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      try {
        out.push(ipaddr.parseCIDR(a.cidr ?? `${a.address}/${a.family === 'IPv4' ? 32 : 128}`));
      } catch {
        // an address ipaddr.js does not read (a zone id): the ranges above still hold
      }
    }
  }
  return out;
}

/** Whether a resolved address may be connected to; `local` is localNetworks() (cached by the caller). */
export function decideAddress(
  address: string,
  local: Array<[ipaddr.IPv4 | ipaddr.IPv6, number]>,
): EgressDecision {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.parse(address);
  } catch {
    return { allowed: false, reason: 'not an address' };
  }
  // ::ffff:10.0.0.1 is 10.0.0.1.
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  const documentation = ip.kind() === 'ipv4' && DOCUMENTATION.some((cidr) => ip.match(cidr));
  if (NEVER.has(range) && !documentation) return { allowed: false, reason: `a ${range} address` };
  for (const net of local) {
    if (net[0].kind() === ip.kind() && ip.match(net))
      return { allowed: false, reason: "this machine's network" };
  }
  return { allowed: true, reason: 'a public address' };
}
