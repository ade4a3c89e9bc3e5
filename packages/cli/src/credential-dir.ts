import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import tarStream from 'tar-stream';
import { CliError, EXIT } from './output.js';

/** The daemon takes at most this much; checked here too for a message that names the directory. */
export const MAX_DIR_BYTES = 10 * 1024 * 1024;

export function expandHome(p: string): string {
  return p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : resolve(p);
}

export interface PackedDir {
  tar: Buffer;
  files: number;
  bytes: number;
  skipped: string[];
}

/**
 * Packs a credential directory in memory: plain files and directories only. A symlink is taken
 * (as a copy of its file) only when it resolves inside the directory; anything pointing out of
 * it, and sockets or devices, are left out and listed in `skipped`.
 */
export async function packCredentialDir(dir: string, include?: string[]): Promise<PackedDir> {
  const root = await realpath(dir).catch(() => {
    throw new CliError(
      `no directory ${dir}`,
      EXIT.usage,
      'give one with --from DIR, or leave the directory out with --no-dir',
    );
  });
  if (!(await stat(root)).isDirectory()) throw new CliError(`${dir} is not a directory`, EXIT.usage);
  const pack = tarStream.pack();
  const out: PackedDir = { tar: Buffer.alloc(0), files: 0, bytes: 0, skipped: [] };
  const inside = (p: string) => p === root || p.startsWith(root + sep);
  const add = async (abs: string, rel: string): Promise<void> => {
    const st = await lstat(abs);
    let real = abs;
    if (st.isSymbolicLink()) {
      real = await realpath(abs).catch(() => '');
      if (!real || !inside(real) || !(await stat(real)).isFile()) {
        out.skipped.push(rel);
        return;
      }
    }
    const target = await stat(real);
    if (target.isDirectory() && !st.isSymbolicLink()) {
      pack.entry({ name: rel, type: 'directory', mode: 0o700 });
      for (const e of (await readdir(abs)).sort()) await add(join(abs, e), `${rel}/${e}`);
      return;
    }
    if (!target.isFile()) {
      out.skipped.push(rel);
      return;
    }
    const body = await readFile(real);
    out.bytes += body.length;
    out.files += 1;
    if (out.bytes > MAX_DIR_BYTES) {
      throw new CliError(
        `${dir} holds over 10 MiB of files`,
        EXIT.usage,
        'copy only the credential files: point --from at a directory with just those',
      );
    }
    pack.entry({ name: rel, mode: 0o600 }, body);
  };
  const top = (await readdir(root)).sort().filter((n) => !include || include.includes(n));
  for (const name of top) await add(join(root, name), name);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack) parts.push(c as Buffer);
  out.tar = Buffer.concat(parts);
  return out;
}
