import { realpath, stat } from 'node:fs/promises';
import type { BerthConfig } from '../config/config.js';
import { InvalidInput } from '../errors/berth-error.js';
import { hostCaCertificates } from '../images/image-tools.js';
import type { Mount } from './runtime.js';

/** Where a session finds the CA bundle berth hands it. */
export const SESSION_CA_PATH = '/etc/berth/ca-certificates.crt';
const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';
/** The variables the common tools read a CA bundle from. */
const CA_VARS = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'GIT_SSL_CAINFO',
  'REQUESTS_CA_BUNDLE',
  'CURL_CA_BUNDLE',
];

export interface SessionTrust {
  mounts: Mount[];
  env: Record<string, string>;
  /** Host files allowed past the mount policy (the bundle, read-only). */
  allowedFiles: string[];
}

/**
 * The host's trust and proxy settings for a session (a TLS-inspecting proxy's CA, HTTP(S)_PROXY):
 * the CA bundle mounted read-only with the variables tools read it from, and the proxy variables.
 */
export async function sessionTrust(
  config: Pick<BerthConfig, 'caBundle' | 'sessionProxyEnv'>,
  extraCaDir?: string,
): Promise<SessionTrust> {
  const env = { ...config.sessionProxyEnv };
  let bundle: string | null = null;
  if (config.caBundle === 'auto') {
    const extra = await hostCaCertificates(extraCaDir);
    if (extra.length > 0) bundle = await realpath(HOST_CA_BUNDLE).catch(() => null);
  } else if (config.caBundle !== 'none') {
    bundle = await realpath(config.caBundle).catch(() => {
      throw new InvalidInput(`BERTH_CA_BUNDLE names ${config.caBundle}, which does not exist`, {
        hint: 'give the path of a PEM bundle, or BERTH_CA_BUNDLE=none',
      });
    });
  }
  if (bundle && !(await stat(bundle).catch(() => null))?.isFile()) bundle = null;
  if (!bundle) return { mounts: [], env, allowedFiles: [] };
  for (const v of CA_VARS) env[v] = SESSION_CA_PATH;
  return {
    mounts: [{ source: bundle, target: SESSION_CA_PATH, readOnly: true }],
    env,
    allowedFiles: [bundle],
  };
}
