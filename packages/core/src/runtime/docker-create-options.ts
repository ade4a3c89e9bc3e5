import type Docker from 'dockerode';
import type { ContainerSpec } from './runtime.js';

/** `KEY=value` lines, as the engine takes a container's (or an exec's) environment. */
export function envList(env: Record<string, string> | undefined): string[] {
  return Object.entries(env ?? {}).map(([k, v]) => `${k}=${v}`);
}

/**
 * The exact options the driver hands the engine to create a session's container: pure, so that
 * what berth asks for can be read (and repeated, by the benchmark's raw side) without an engine.
 */
export function dockerCreateOptions(spec: ContainerSpec): Docker.ContainerCreateOptions {
  return {
    name: spec.name,
    Image: spec.image,
    ...(spec.command ? { Cmd: spec.command } : {}),
    User: spec.user,
    Env: envList(spec.env),
    WorkingDir: spec.workingDir,
    Labels: spec.labels,
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      // A named volume and a host path share the Binds syntax: `name:/target` or `/path:/target`.
      Binds: spec.mounts.map((m) => `${m.source}:${m.target}:${m.readOnly ? 'ro' : 'rw'}`),
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
      PidsLimit: spec.pids,
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      NanoCpus: Math.round(spec.cpus * 1e9),
      Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 8192 }],
      NetworkMode: spec.network,
      ...(spec.extraHosts?.length ? { ExtraHosts: spec.extraHosts } : {}),
      ...(spec.runtime ? { Runtime: spec.runtime } : {}),
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}
