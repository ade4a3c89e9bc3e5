import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import Docker from 'dockerode';
import { type AgentToolsStatus, AgentToolsVolume } from '../agents/agent-tools-volume.js';
import type { BerthConfig } from '../config/config.js';
import { silentLogger } from '../logger.js';
import { DockerRuntime } from '../runtime/docker-runtime.js';
import { LABEL_MANAGED, LABEL_ROLE, ROLE_AGENTS } from '../runtime/labels.js';
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
    /** berth's agents volume: the pinned versions, and what it holds (null: not installed). */
    agents: (config: AgentToolsConfig): Promise<AgentToolsStatus> => agentTools(docker, config).status(),
    /** Fills the agents volume unless it is filled (`force`: afresh); progress lines as npm goes. */
    installAgents: (config: AgentToolsConfig, opts: { force?: boolean; onProgress?: ImageProgress } = {}) =>
      agentTools(docker, config).ensure(opts.onProgress, { force: opts.force === true }),
    /**
     * Removes the agents volumes of other pinned sets (an older berth's) that no container uses;
     * returns the names removed and those kept because a session still mounts them.
     */
    pruneAgents: async (config: AgentToolsConfig): Promise<{ removed: string[]; inUse: string[] }> => {
      const current = agentTools(docker, config).name;
      const res = await docker.listVolumes({ filters: { label: [`${LABEL_ROLE}=${ROLE_AGENTS}`] } });
      const out = { removed: [] as string[], inUse: [] as string[] };
      for (const v of res.Volumes ?? []) {
        if (v.Name === current || v.Labels?.[LABEL_MANAGED] !== 'true') continue;
        try {
          await docker.getVolume(v.Name).remove();
          out.removed.push(v.Name);
        } catch (err) {
          if ((err as { statusCode?: number }).statusCode === 404) continue;
          out.inUse.push(v.Name);
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
    }) => buildSessionImage({ docker, ...opts }),
  };
}

type AgentToolsConfig = Pick<BerthConfig, 'home' | 'caBundle' | 'sessionProxyEnv' | 'sessionNetwork'>;

function agentTools(docker: Docker, config: AgentToolsConfig): AgentToolsVolume {
  const runtime = new DockerRuntime({ home: config.home, docker });
  return new AgentToolsVolume({ runtime, config, logger: silentLogger });
}
