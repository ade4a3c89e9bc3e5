import { homedir } from 'node:os';
import { isAbsolute, normalize, relative, sep } from 'node:path';
import { InvalidInput } from '../errors/berth-error.js';
import type { Mount } from './runtime.js';

const FORBIDDEN_EXACT = [
  '/',
  '/etc',
  '/proc',
  '/sys',
  '/dev',
  '/boot',
  '/root',
  '/var/run',
  '/run',
  '/var/lib/docker',
];
const FORBIDDEN_SOCKETS = ['docker.sock', 'containerd.sock', 'podman.sock'];

function isInside(child: string, parent: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/**
 * SECURITY.md's mount checklist: only the workspace, read-only git objects, credentials and CA
 * files. Never the Docker socket, a system directory, the host home itself or berth's own data
 * directory (except the session's own workspace inside it).
 */
export function assertSafeMounts(
  mounts: Mount[],
  opts: { berthHome: string; allowedInHome: string[]; allowedFiles?: string[] },
): void {
  for (const m of mounts) {
    if (!isAbsolute(m.source)) throw new InvalidInput(`mount source ${m.source} is not an absolute path`);
    const src = normalize(m.source).replace(/\/+$/, '') || '/';
    // Single files the daemon itself chose (the host's CA bundle), only ever read-only.
    if (m.readOnly && opts.allowedFiles?.includes(src)) continue;
    if (FORBIDDEN_EXACT.includes(src) || src.startsWith('/proc/') || src.startsWith('/sys/')) {
      throw new InvalidInput(`refusing to mount ${src} into a session`);
    }
    if (src === normalize(homedir()) || FORBIDDEN_SOCKETS.some((s) => src.endsWith(`${sep}${s}`))) {
      throw new InvalidInput(`refusing to mount ${src} into a session`);
    }
    if (src.startsWith('/var/lib/docker/') || src.startsWith('/etc/')) {
      throw new InvalidInput(`refusing to mount ${src} into a session`);
    }
    if (isInside(src, opts.berthHome) && !opts.allowedInHome.some((a) => isInside(src, a))) {
      throw new InvalidInput(`refusing to mount berth's own data (${src}) into a session`);
    }
    if (isInside(opts.berthHome, src)) {
      throw new InvalidInput(`refusing to mount ${src}: it contains berth's own data directory`);
    }
  }
}
