import type { BerthConfig } from '../config/config.js';
import { InvalidInput } from '../errors/berth-error.js';
import { SESSION_RUNTIMES, type SessionRuntime } from '../session/session.js';
import type { ContainerRuntime } from './runtime.js';

/** gVisor's sandbox runs its own threads (about 39 idle) inside the container's pids budget. */
export const GVISOR_PIDS_HEADROOM = 64;

/** How a session's container is isolated: the OCI runtime to ask the engine for, and its cost. */
export interface Isolation {
  runtime: SessionRuntime;
  /** The engine's name for the OCI runtime; undefined: the engine's default (runc). */
  ociRuntime: string | undefined;
  /** Pids added to the container's limit for the runtime's own threads. */
  pidsHeadroom: number;
}

export interface GvisorCapability {
  available: boolean;
  /** The name berth asks the engine for (BERTH_GVISOR_RUNTIME). */
  runtime: string;
}

export async function gvisorCapability(
  runtime: Pick<ContainerRuntime, 'info'>,
  config: Pick<BerthConfig, 'isolation'>,
): Promise<GvisorCapability> {
  const name = config.isolation.gvisorRuntime;
  const info = await runtime.info();
  return { available: info.runtimes.includes(name), runtime: name };
}

/** How to get gVisor onto this engine: the Debian package, then register it and have dockerd reload. */
export function gvisorInstallHint(name: string): string {
  return (
    `install gVisor (\`sudo apt-get install runsc\` on Debian), register it in /etc/docker/daemon.json as ` +
    `{"runtimes":{"${name}":{"path":"/usr/bin/runsc","runtimeArgs":["--network=host"]}}}, have dockerd reload ` +
    'it (`sudo systemctl reload docker`, or `sudo kill -HUP $(pidof dockerd)`: nothing restarts) and check ' +
    '`berth doctor`; or leave out --runtime gvisor'
  );
}

/** Checks that the engine can run the asked-for runtime; refuses gVisor where it is not registered. */
export async function resolveIsolation(
  requested: SessionRuntime | undefined,
  deps: { runtime: Pick<ContainerRuntime, 'info'>; config: Pick<BerthConfig, 'isolation'> },
): Promise<Isolation> {
  const wanted = requested ?? deps.config.isolation.defaultRuntime;
  if (!(SESSION_RUNTIMES as readonly string[]).includes(wanted)) {
    throw new InvalidInput(`runtime ${JSON.stringify(wanted)} is not known`, {
      hint: `use one of ${SESSION_RUNTIMES.join(', ')}`,
    });
  }
  if (wanted === 'runc') return { runtime: 'runc', ociRuntime: undefined, pidsHeadroom: 0 };
  const gvisor = await gvisorCapability(deps.runtime, deps.config);
  if (!gvisor.available) {
    throw new InvalidInput(
      `the gVisor runtime (${gvisor.runtime}) is not registered with the Docker Engine, so berth cannot run this session under gVisor`,
      { hint: gvisorInstallHint(gvisor.runtime) },
    );
  }
  return { runtime: 'gvisor', ociRuntime: gvisor.runtime, pidsHeadroom: GVISOR_PIDS_HEADROOM };
}
