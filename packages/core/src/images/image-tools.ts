import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import {
  bootstrapBaseImage,
  buildSessionImage,
  type ImageProgress,
  sessionImageStatus,
} from './session-image.js';

const HOST_CA_DIR = '/usr/local/share/ca-certificates';

/** The host's extra CA certificates (a TLS-inspecting proxy's, say): handed to builds by default. */
export async function hostCaCertificates(dir = HOST_CA_DIR): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.crt'))
    .map((e) => join(e.parentPath ?? dir, e.name))
    .sort();
}

/** Image operations for the CLI, without it ever holding an engine client of its own. */
export function imageTools(docker: Docker = new Docker()) {
  return {
    /** The engine's version and registered runtimes, over its API (no `docker` CLI needed). */
    engine: async (): Promise<{ version: string; runtimes: string[] }> => {
      const [version, info] = await Promise.all([docker.version(), docker.info()]);
      return { version: String(version.Version ?? ''), runtimes: Object.keys(info?.Runtimes ?? {}) };
    },
    status: (tag?: string) => sessionImageStatus(docker, tag),
    bootstrap: (opts: {
      tag?: string;
      suite?: string;
      mirror?: string;
      ifMissing?: boolean;
      onProgress?: ImageProgress;
    }) => bootstrapBaseImage({ docker, ...opts }),
    build: (opts: {
      tag?: string;
      base?: string;
      caCertificates?: string[];
      proxy?: Record<string, string>;
      onProgress?: ImageProgress;
    }) => buildSessionImage({ docker, ...opts }),
  };
}
