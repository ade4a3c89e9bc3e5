import { checkEgressMode, type EgressMode, parseAllowEntry } from '../egress/egress-policy.js';
import { InvalidInput } from '../errors/berth-error.js';

/**
 * BERTH_EGRESS: what a new session may reach when its request does not say. `allowlist`,
 * `open` or `none` put it on a network of its own whose only way out is berth's egress proxy;
 * `off` keeps new sessions on the shared network, unfiltered (as berth did before).
 * BERTH_EGRESS_ALLOW: hosts (comma-separated) every allow-list gets on top of berth's own.
 */
export interface EgressDefaults {
  egressMode: EgressMode | 'off';
  egressAllow: string[];
}

export function egressDefaultsFrom(env: NodeJS.ProcessEnv): EgressDefaults {
  const raw = (env.BERTH_EGRESS ?? '').trim().toLowerCase();
  let egressMode: EgressDefaults['egressMode'] = 'allowlist';
  if (raw === 'off') egressMode = 'off';
  else if (raw !== '') {
    try {
      egressMode = checkEgressMode(raw);
    } catch {
      throw new InvalidInput(`BERTH_EGRESS=${raw.slice(0, 40)} is not allowlist, open, none or off`, {
        hint: 'unset it, or set it to allowlist (known hosts only), open (any public host), none or off (unfiltered)',
      });
    }
  }
  const egressAllow = (env.BERTH_EGRESS_ALLOW ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (const entry of egressAllow) {
    try {
      parseAllowEntry(entry);
    } catch (err) {
      throw new InvalidInput(`BERTH_EGRESS_ALLOW: ${(err as Error).message}`, {
        hint: 'list host names separated by commas, e.g. packages.example.org,*.example.net',
      });
    }
  }
  return { egressMode, egressAllow };
}
