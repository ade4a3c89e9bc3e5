import { realpathSync } from 'node:fs';
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
 * A path as the engine will see it: symlinks resolved (the bind follows them), else as written when
 * it does not exist yet. Both sides of every comparison go through it, so a BERTH_HOME or a source
 * reached through a symlink is still recognised for what it is.
 */
function canonical(path: string): string {
  const plain = normalize(path).replace(/\/+$/, '') || '/';
  try {
    return realpathSync.native(plain);
  } catch {
    return plain;
  }
}

/** The only volumes a session may mount: berth's own per-session state volumes, and its agents volume read-only. */
export const STATE_VOLUME_RE = /^berth-state-[0-9a-f-]{36}$/;
export const AGENTS_VOLUME_RE = /^berth-agents-[0-9a-f]{12}$/;

/**
 * The mount checklist of docs/security.md ("Containers"): only the workspace, read-only git
 * objects, berth's own state volume, read-only credentials and CA files. Never the Docker socket,
 * a system directory (/dev and /run included: a device or another daemon's socket), the host home
 * itself or berth's own data directory (except the session's own workspace inside it).
 * `secretDirs` are the session's credential directories, exactly: allowed read-only wherever they
 * are (a tmpfs such as /dev/shm or $XDG_RUNTIME_DIR, or under BERTH_HOME as a fallback).
 * `writableDirs` are the session's own directories berth made for it to write (its status line,
 * its refreshed logins), exactly: allowed read-write wherever they are.
 */
export function assertSafeMounts(
  mounts: Mount[],
  opts: {
    berthHome: string;
    allowedInHome: string[];
    allowedFiles?: string[];
    secretDirs?: string[];
    writableDirs?: string[];
  },
): void {
  for (const m of mounts) {
    if (m.type === 'volume') {
      if (AGENTS_VOLUME_RE.test(m.source)) {
        if (!m.readOnly) throw new InvalidInput(`berth's agents volume is only ever mounted read-only`);
        continue;
      }
      if (!STATE_VOLUME_RE.test(m.source)) {
        throw new InvalidInput(`refusing to mount volume ${m.source}: only berth's session state volumes`);
      }
      continue;
    }
    if (!isAbsolute(m.source)) throw new InvalidInput(`mount source ${m.source} is not an absolute path`);
    const src = normalize(m.source).replace(/\/+$/, '') || '/';
    // Single files the daemon itself chose (the host's CA bundle), only ever read-only.
    if (m.readOnly && opts.allowedFiles?.includes(src)) continue;
    if ((opts.writableDirs ?? []).some((d) => normalize(d).replace(/\/+$/, '') === src)) continue;
    if ((opts.secretDirs ?? []).some((d) => normalize(d).replace(/\/+$/, '') === src)) {
      if (!m.readOnly) throw new InvalidInput(`credentials (${src}) are only ever mounted read-only`);
      continue;
    }
    // Checked as written and as the engine resolves it: either may name berth's own data.
    for (const path of new Set([src, canonical(src)])) assertSafeSource(path, opts);
  }
}

/** The refusals for one bind source (as written, or with its symlinks resolved). */
function assertSafeSource(path: string, opts: { berthHome: string; allowedInHome: string[] }): void {
  if (path.startsWith('/dev/') || path.startsWith('/run/') || path.startsWith('/var/run/')) {
    throw new InvalidInput(`refusing to mount ${path} into a session`);
  }
  if (FORBIDDEN_EXACT.includes(path) || path.startsWith('/proc/') || path.startsWith('/sys/')) {
    throw new InvalidInput(`refusing to mount ${path} into a session`);
  }
  if (path === normalize(homedir()) || FORBIDDEN_SOCKETS.some((s) => path.endsWith(`${sep}${s}`))) {
    throw new InvalidInput(`refusing to mount ${path} into a session`);
  }
  if (path.startsWith('/var/lib/docker/') || path.startsWith('/etc/')) {
    throw new InvalidInput(`refusing to mount ${path} into a session`);
  }
  const homes = [...new Set([normalize(opts.berthHome), canonical(opts.berthHome)])];
  const allowed = opts.allowedInHome.flatMap((a) => [normalize(a), canonical(a)]);
  for (const home of homes) {
    if (isInside(path, home) && !allowed.some((a) => isInside(path, a))) {
      throw new InvalidInput(`refusing to mount berth's own data (${path}) into a session`);
    }
    if (isInside(home, path)) {
      throw new InvalidInput(`refusing to mount ${path}: it contains berth's own data directory`);
    }
  }
}
