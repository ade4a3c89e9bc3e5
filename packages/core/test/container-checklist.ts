import type Docker from 'dockerode';
import { LABEL_HOME, LABEL_MANAGED } from '../src/runtime/labels.js';

type Inspect = Awaited<ReturnType<Docker.Container['inspect']>>;

/**
 * The container checklist of docs/security.md ("Containers") as code: every deviation, by name.
 * An empty list means the container is what berth promises.
 */
export function checklistDeviations(info: Inspect, opts: { workspaceTarget?: string } = {}): string[] {
  const out: string[] = [];
  const hc = info.HostConfig;
  const user = info.Config.User ?? '';
  if (user === '' || /^(0|root)(:|$)/.test(user)) out.push(`runs as root (User=${JSON.stringify(user)})`);
  if (JSON.stringify(hc.CapDrop) !== JSON.stringify(['ALL']))
    out.push(`CapDrop is ${JSON.stringify(hc.CapDrop)}`);
  if ((hc.CapAdd ?? []).length > 0) out.push(`CapAdd is ${JSON.stringify(hc.CapAdd)}`);
  if (!(hc.SecurityOpt ?? []).includes('no-new-privileges')) out.push('no-new-privileges missing');
  if ((hc.SecurityOpt ?? []).some((o: string) => /unconfined/.test(o))) out.push('a profile is unconfined');
  if (hc.Privileged) out.push('privileged');
  if (
    hc.PidMode === 'host' ||
    hc.IpcMode === 'host' ||
    hc.NetworkMode === 'host' ||
    hc.UsernsMode === 'host'
  ) {
    out.push('shares a host namespace');
  }
  if (hc.NetworkMode === 'default' || hc.NetworkMode === 'bridge') out.push('on the default bridge');
  if (!hc.PidsLimit || hc.PidsLimit <= 0) out.push('no pids limit');
  if (!hc.Memory || hc.Memory <= 0) out.push('no memory limit');
  if (hc.MemorySwap !== hc.Memory) out.push('swap not equal to memory');
  if (!hc.NanoCpus || hc.NanoCpus <= 0) out.push('no CPU limit');
  if (!(hc.Ulimits ?? []).some((u) => u.Name === 'nofile')) out.push('no nofile ulimit');
  if (hc.Init !== true) out.push('no init process');
  if ((hc.Devices ?? []).length > 0) out.push('has devices');
  for (const m of info.Mounts ?? []) {
    const src = m.Source ?? '';
    if (/docker\.sock|containerd\.sock/.test(src)) out.push(`mounts the engine socket ${src}`);
    if (['/', '/etc', '/proc', '/sys', '/root', '/home', '/var/run', '/run'].includes(src))
      out.push(`mounts ${src}`);
    const isWorkspace = m.Destination === (opts.workspaceTarget ?? '/workspace');
    if (!isWorkspace && m.RW) out.push(`writable mount ${src} -> ${m.Destination}`);
  }
  for (const [port, bindings] of Object.entries(hc.PortBindings ?? {})) {
    for (const b of (bindings as Array<{ HostIp?: string }> | null) ?? []) {
      if (b.HostIp !== '127.0.0.1') out.push(`port ${port} published on ${b.HostIp || 'every address'}`);
    }
  }
  const labels = info.Config.Labels ?? {};
  for (const l of [LABEL_MANAGED, 'dev.berth.session.id', 'dev.berth.session.name', LABEL_HOME]) {
    if (!labels[l]) out.push(`label ${l} missing`);
  }
  return out;
}
