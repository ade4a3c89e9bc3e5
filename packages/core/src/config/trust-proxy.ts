import { isIP } from 'node:net';
import { InvalidInput } from '../errors/berth-error.js';

/** One address or CIDR block, as `proxy-addr` (Fastify's `trustProxy`) reads them. */
function isAddressOrBlock(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  const max = family === 4 ? 32 : 128;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= max;
}

/**
 * BERTH_TRUST_PROXY: the reverse proxies whose X-Forwarded-Proto/-For/-Host count, as addresses
 * or CIDR blocks, comma-separated. Unset trusts none: from anyone else those headers are forged.
 * Checked here so a typo stops the start with its name, not deep inside the HTTP server.
 */
export function parseTrustProxy(raw: string | undefined): string[] {
  const entries = (raw ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  const bad = entries.find((e) => !isAddressOrBlock(e));
  if (bad !== undefined) {
    throw new InvalidInput(
      `BERTH_TRUST_PROXY entry ${JSON.stringify(bad)} is not an IP address or CIDR block`,
      {
        hint: "list your TLS proxy's address as berth sees it, e.g. BERTH_TRUST_PROXY=127.0.0.1,10.0.0.0/8, or unset it",
      },
    );
  }
  return entries;
}
