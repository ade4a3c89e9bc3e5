import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type AgentToolsStatus, AgentToolsVolume } from '../agents/agent-tools-volume.js';
import type { BerthConfig } from '../config/config.js';
import { silentLogger } from '../logger.js';
import { DockerRuntime } from '../runtime/docker-runtime.js';
import type { ImageEngine } from '../runtime/images.js';
import { LABEL_MANAGED, LABEL_ROLE, ROLE_AGENTS } from '../runtime/labels.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
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

/** What the tools need of berth's driver: the runtime port and its image side. */
type ImageToolsRuntime = ContainerRuntime & { readonly images: ImageEngine };

/**
 * Image operations for the CLI and the server, through berth's engine driver (neither holds an
 * engine client of its own). `open` makes the driver for a BERTH_HOME; engine-wide calls (images,
 * the engine's own description) do not depend on which.
 */
export function imageTools(
  open: (home: string) => ImageToolsRuntime = (home) => new DockerRuntime({ home }),
) {
  const engine = open('');
  const agentTools = (config: AgentToolsConfig): AgentToolsVolume =>
    new AgentToolsVolume({ runtime: open(config.home), config, logger: silentLogger });
  return {
    /** The engine's version and registered runtimes, over its API (no `docker` CLI needed). */
    engine: async (): Promise<{ version: string; runtimes: string[] }> => {
      const info = await engine.info();
      return { version: info.serverVersion, runtimes: info.runtimes };
    },
    status: (tag?: string) => sessionImageStatus(engine.images, tag),
    bootstrap: (opts: {
      tag?: string;
      suite?: string;
      mirror?: string;
      ifMissing?: boolean;
      onProgress?: ImageProgress;
    }) => bootstrapBaseImage({ images: engine.images, ...opts }),
    /** berth's agents volume: the pinned versions, and what it holds (null: not installed). */
    agents: (config: AgentToolsConfig): Promise<AgentToolsStatus> => agentTools(config).status(),
    /** Fills the agents volume unless it is filled (`force`: afresh); progress lines as npm goes. */
    installAgents: (config: AgentToolsConfig, opts: { force?: boolean; onProgress?: ImageProgress } = {}) =>
      agentTools(config).ensure(opts.onProgress, { force: opts.force === true }),
    /**
     * Removes the agents volumes of other pinned sets (an older berth's) that no container uses;
     * returns the names removed and those kept because a session still mounts them.
     */
    pruneAgents: async (config: AgentToolsConfig): Promise<{ removed: string[]; inUse: string[] }> => {
      const current = agentTools(config).name;
      const out = { removed: [] as string[], inUse: [] as string[] };
      for (const v of await engine.listVolumes({ [LABEL_ROLE]: ROLE_AGENTS })) {
        if (v.name === current || v.labels[LABEL_MANAGED] !== 'true') continue;
        try {
          await engine.removeVolume(v.name);
          out.removed.push(v.name);
        } catch {
          out.inUse.push(v.name);
        }
      }
      return out;
    },
    build: (opts: {
      tag?: string;
      base?: string;
      caCertificates?: string[];
      proxy?: Record<string, string>;
      onProgress?: ImageProgress;
    }) => buildSessionImage({ images: engine.images, ...opts }),
  };
}

type AgentToolsConfig = Pick<BerthConfig, 'home' | 'caBundle' | 'sessionProxyEnv' | 'sessionNetwork'>;
