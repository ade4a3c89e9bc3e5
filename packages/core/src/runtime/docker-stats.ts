import type Docker from 'dockerode';
import type { EngineCalls } from './engine-calls.js';
import type { ContainerStats } from './runtime.js';

/** A container's last CPU sample (cumulative usage and the system's), by id. */
export type CpuSamples = Map<string, { total: number; system: number }>;

/** `quick`: one sample only (cpuPercent is 0 without an earlier one); for the idle watcher. */
export async function readStats(
  docker: Docker,
  calls: EngineCalls,
  lastCpu: CpuSamples,
  id: string,
  opts: { quick?: boolean },
): Promise<ContainerStats> {
  // One-shot stats answer in ~17 ms but carry no previous CPU sample: keep our own.
  const sample = async () =>
    (await calls.engine('container.stats', 'read stats', () =>
      docker.getContainer(id).stats({ stream: false, 'one-shot': true } as { stream: false }),
    )) as unknown as DockerStats;
  let s = await sample();
  let prev = lastCpu.get(id);
  if (!prev && opts.quick) prev = { total: s.cpu_stats.cpu_usage.total_usage, system: 0 };
  if (!prev) {
    prev = { total: s.cpu_stats.cpu_usage.total_usage, system: s.cpu_stats.system_cpu_usage ?? 0 };
    await new Promise((r) => setTimeout(r, 200));
    s = await sample();
  }
  const total = s.cpu_stats.cpu_usage.total_usage;
  const system = s.cpu_stats.system_cpu_usage ?? 0;
  lastCpu.set(id, { total, system });
  const cpus = s.cpu_stats.online_cpus ?? s.cpu_stats.cpu_usage.percpu_usage?.length ?? 1;
  const dSystem = system - prev.system;
  const cpuPercent = dSystem > 0 ? ((total - prev.total) / dSystem) * cpus * 100 : 0;
  const nets = Object.values(s.networks ?? {});
  const cache = s.memory_stats.stats?.cache ?? s.memory_stats.stats?.inactive_file ?? 0;
  return {
    cpuPercent: Math.max(0, Math.round(cpuPercent * 100) / 100),
    cpuUsageNanos: total,
    memoryBytes: Math.max(0, (s.memory_stats.usage ?? 0) - cache),
    memoryLimitBytes: s.memory_stats.limit ?? 0,
    networkRxBytes: nets.reduce((a, n) => a + n.rx_bytes, 0),
    networkTxBytes: nets.reduce((a, n) => a + n.tx_bytes, 0),
    pids: s.pids_stats?.current ?? 0,
  };
}

interface DockerStats {
  cpu_stats: {
    cpu_usage: { total_usage: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  memory_stats: { usage?: number; limit?: number; stats?: { cache?: number; inactive_file?: number } };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  pids_stats?: { current?: number };
}
