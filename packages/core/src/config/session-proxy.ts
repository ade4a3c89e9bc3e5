import { InvalidInput } from '../errors/berth-error.js';

/**
 * BERTH_SESSION_PROXY: which of the daemon's proxy variables (HTTP(S)_PROXY, NO_PROXY, ALL_PROXY,
 * both cases) sessions get. A session runs untrusted code that reads its whole environment, so a
 * proxy URL with credentials in it (http://user:password@proxy:3128) is not handed over unless
 * the operator says so: stripping the user:password would only leave a proxy that refuses them.
 *
 * - `inherit` (the default): the variables without credentials; one with them is withheld.
 * - `inherit-credentials`: all of them, credentials included (every session can read and use them).
 * - `none`: none.
 */

const PROXY_VARS = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'ALL_PROXY'];
/** Lists of hosts, never a URL with a password. */
const HOST_LISTS = new Set(['NO_PROXY', 'no_proxy']);

export interface SessionProxy {
  env: Record<string, string>;
  /** For the daemon to log at start: names variables, never their values. */
  warnings: string[];
}

/** Whether a proxy URL (scheme optional, as curl takes it) has a user or password before its host. */
export function proxyHasCredentials(value: string): boolean {
  const rest = value.trim().replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  const authority = rest.split(/[/?#]/, 1)[0] ?? '';
  return authority.includes('@');
}

function modeOf(env: NodeJS.ProcessEnv): 'inherit' | 'inherit-credentials' | 'none' {
  const mode = (env.BERTH_SESSION_PROXY || 'inherit').trim().toLowerCase();
  if (mode === 'inherit' || mode === 'inherit-credentials' || mode === 'none') return mode;
  throw new InvalidInput(`BERTH_SESSION_PROXY=${env.BERTH_SESSION_PROXY} is not inherit or none`, {
    hint:
      'unset it (sessions get the proxy variables that carry no password), set it to none, or to ' +
      "inherit-credentials to hand sessions a proxy's user and password too",
  });
}

export function sessionProxyFrom(env: NodeJS.ProcessEnv): SessionProxy {
  const mode = modeOf(env);
  if (mode === 'none') return { env: {}, warnings: [] };
  const out: Record<string, string> = {};
  const credentialed: string[] = [];
  for (const name of PROXY_VARS) {
    for (const key of [name, name.toLowerCase()]) {
      const v = env[key];
      if (!v || v.includes('\0')) continue;
      if (!HOST_LISTS.has(key) && proxyHasCredentials(v)) {
        credentialed.push(key);
        if (mode !== 'inherit-credentials') continue;
      }
      out[key] = v;
    }
  }
  if (credentialed.length === 0) return { env: out, warnings: [] };
  const names = credentialed.join(', ');
  const warning =
    mode === 'inherit-credentials'
      ? `${names} carry a proxy user and password, and BERTH_SESSION_PROXY=inherit-credentials hands ` +
        'them to every session, where the code that runs can read and use them'
      : `${names} carry a proxy user and password: sessions are not given ${credentialed.length > 1 ? 'them' : 'it'}, ` +
        'since the code that runs in them could read and use the credentials. Give sessions a proxy ' +
        'that needs none, set BERTH_SESSION_PROXY=none to hand them no proxy variables, or ' +
        'BERTH_SESSION_PROXY=inherit-credentials to hand them the credentials anyway';
  return { env: out, warnings: [warning] };
}

/** The proxy variables sessions get (see sessionProxyFrom). */
export function sessionProxyEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return sessionProxyFrom(env).env;
}
