/**
 * A credential directory as berth stores it: a tar of plain files and directories under one root,
 * at most 10 MiB and 10,000 entries. Reading one refuses anything else (links, devices, a path
 * that climbs out), since the tar comes from a user's upload and its files are later written on
 * the host; packing one puts entries back in the same shape.
 */
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import tarStream from 'tar-stream';
import { InvalidInput } from '../errors/berth-error.js';

/** A credential directory's tar may hold at most this many bytes of files. */
export const MAX_CREDENTIAL_DIR_BYTES = 10 * 1024 * 1024;
const MAX_ENTRIES = 10_000;

export interface TarEntry {
  /** Relative, normalised, never `..` or absolute. */
  name: string;
  type: 'file' | 'directory';
  mode: number;
  body: Buffer;
}

/** Reads a credential tar, refusing anything but plain files and directories under its root. */
export async function readCredentialTar(tar: Buffer): Promise<TarEntry[]> {
  const extract = tarStream.extract();
  const entries: TarEntry[] = [];
  let bytes = 0;
  const done = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (chunk: unknown) => {
        const d = chunk as Buffer;
        bytes += d.length;
        if (bytes > MAX_CREDENTIAL_DIR_BYTES) {
          reject(
            new InvalidInput('the credential directory is over 10 MiB', {
              hint: 'copy only what the agent needs (the credential files, not its history or caches)',
            }),
          );
          stream.destroy();
          return;
        }
        parts.push(d);
      });
      stream.on('end', () => {
        const raw = header.name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
        const name = posix.normalize(raw);
        if (
          raw !== '' &&
          (name.startsWith('/') || name === '..' || name.startsWith('../') || name.includes('\0'))
        ) {
          reject(
            new InvalidInput(`the credential archive names a path outside itself: ${raw.slice(0, 100)}`),
          );
          return;
        }
        if (header.type !== 'file' && header.type !== 'directory') {
          reject(
            new InvalidInput(
              `the credential archive holds a ${header.type ?? 'special'} entry (${raw.slice(0, 100)}): only files and directories are taken`,
            ),
          );
          return;
        }
        if (entries.length >= MAX_ENTRIES) {
          reject(new InvalidInput('the credential directory has over 10,000 entries'));
          return;
        }
        if (raw !== '' && name !== '.') {
          entries.push({ name, type: header.type, mode: header.mode ?? 0o600, body: Buffer.concat(parts) });
        }
        next();
      });
      stream.on('error', reject);
    });
    extract.on('finish', resolve);
    extract.on('error', (err: Error) =>
      reject(new InvalidInput(`the credential archive is not a valid tar: ${err.message}`)),
    );
  });
  Readable.from([tar]).pipe(extract);
  await done;
  return entries;
}

/** A credential tar of `entries`, `name`'s body replaced by `body` (added when it is not there). */
export async function packCredentialTar(
  entries: readonly TarEntry[],
  name: string,
  body: Buffer,
): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const e of entries) {
    if (e.type === 'directory') pack.entry({ name: e.name, type: 'directory', mode: e.mode });
    else pack.entry({ name: e.name, mode: e.mode }, e.name === name ? body : e.body);
  }
  if (!entries.some((e) => e.name === name)) pack.entry({ name, mode: 0o600 }, body);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack) parts.push(c as Buffer);
  return Buffer.concat(parts);
}
