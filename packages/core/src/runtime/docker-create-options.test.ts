import { describe, expect, it } from 'vitest';
import { dockerCreateOptions } from './docker-create-options.js';
import { DockerRuntime } from './docker-runtime.js';
import { LABEL_MANAGED } from './labels.js';
import type { ContainerSpec, ContainerStats } from './runtime.js';

const spec: ContainerSpec = {
  name: 'berth-s-1',
  image: 'berth/session:bookworm',
  user: '1000:1000',
  env: { A: '1', B: 'two words' },
  workingDir: '/workspace',
  labels: { [LABEL_MANAGED]: 'true' },
  mounts: [
    { source: '/host/work', target: '/workspace', readOnly: false },
    { source: 'berth-agents-x', target: '/opt/berth/agents', readOnly: true, type: 'volume' },
  ],
  cpus: 1.5,
  memoryBytes: 512 * 1024 ** 2,
  pids: 256,
  network: 'berth-sessions',
};

describe('dockerCreateOptions', () => {
  it('is the hardened container berth asks for, from the spec alone', () => {
    const o = dockerCreateOptions(spec);
    expect(o).toMatchObject({
      name: 'berth-s-1',
      Image: 'berth/session:bookworm',
      User: '1000:1000',
      Env: ['A=1', 'B=two words'],
      WorkingDir: '/workspace',
      Tty: false,
      OpenStdin: false,
    });
    expect(o.Cmd).toBeUndefined();
    expect(o.HostConfig).toMatchObject({
      Binds: ['/host/work:/workspace:rw', 'berth-agents-x:/opt/berth/agents:ro'],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
      PidsLimit: 256,
      Memory: 512 * 1024 ** 2,
      MemorySwap: 512 * 1024 ** 2,
      NanoCpus: 1_500_000_000,
      NetworkMode: 'berth-sessions',
      RestartPolicy: { Name: 'no' },
    });
    expect(o.HostConfig).not.toHaveProperty('ExtraHosts');
    expect(o.HostConfig).not.toHaveProperty('Runtime');
  });

  it('adds a command, /etc/hosts lines and an OCI runtime only when the spec has them', () => {
    const o = dockerCreateOptions({
      ...spec,
      command: ['sleep', 'infinity'],
      extraHosts: ['berth-relay:10.213.0.2'],
      runtime: 'runsc',
    });
    expect(o.Cmd).toEqual(['sleep', 'infinity']);
    expect(o.HostConfig).toMatchObject({ ExtraHosts: ['berth-relay:10.213.0.2'], Runtime: 'runsc' });
  });
});

describe('the Docker driver’s capabilities', () => {
  it('freezes on pause, resizes live and measures every figure of ContainerStats', () => {
    const { capabilities } = new DockerRuntime({ home: '/nonexistent' });
    expect(capabilities.pause).toBe('freeze');
    expect(capabilities.liveResize).toBe(true);
    const every: Record<keyof ContainerStats, true> = {
      cpuPercent: true,
      cpuUsageNanos: true,
      memoryBytes: true,
      memoryLimitBytes: true,
      networkRxBytes: true,
      networkTxBytes: true,
      pids: true,
    };
    expect([...capabilities.stats].sort()).toEqual(Object.keys(every).sort());
  });
});
