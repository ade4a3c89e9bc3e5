/**
 * The session image: what every berth session container runs.
 *
 * No registry is assumed. `bootstrapBaseImage` makes a Debian base locally with mmdebstrap and
 * imports it into the engine; `buildSessionImage` builds docker/session/Dockerfile on top of that
 * base (or on a registry base such as debian:bookworm-slim where one is reachable), with Node.js
 * fetched on the host into the build context (session-node.ts).
 */
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ImageError, InvalidInput } from '../errors/berth-error.js';
import type { ImageEngine, ImageProgress, ImageStatus } from '../runtime/images.js';
import { LABEL_MANAGED } from '../runtime/labels.js';
import { addNodeTarballs, isNodeTarballName } from './session-node.js';

export const DEFAULT_SESSION_IMAGE = 'berth/session:bookworm';
export const BOOTSTRAP_BASE_IMAGE = 'berth/base:bookworm';
/** The base used when no bootstrapped base exists locally: needs a reachable registry. */
export const REGISTRY_BASE_IMAGE = 'debian:bookworm-slim';

const DEFAULT_SUITE = 'bookworm';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const BOOTSTRAP_PACKAGES = ['git', 'ca-certificates', 'bash', 'curl', 'tmux', 'procps', 'busybox'];

export type { ImageProgress };

/**
 * docker/session at the repo root. This file sits 4 levels below the root both as source
 * (packages/core/src/images/) and compiled (packages/core/dist/images/), so one path serves both.
 */
function defaultDockerfileDir(): string {
  return fileURLToPath(new URL('../../../../docker/session/', import.meta.url));
}

// ---------------------------------------------------------------------------------------------
// Queries

export async function sessionImageStatus(
  images: ImageEngine,
  tag = DEFAULT_SESSION_IMAGE,
): Promise<ImageStatus> {
  requireNonEmpty(tag, 'image tag');
  return images.status(tag);
}

// ---------------------------------------------------------------------------------------------
// Bootstrap: a Debian rootfs made by mmdebstrap, imported as an image

export async function bootstrapBaseImage(opts: {
  images: ImageEngine;
  tag?: string;
  suite?: string;
  mirror?: string;
  onProgress?: ImageProgress;
  ifMissing?: boolean;
}): Promise<{ tag: string; created: boolean }> {
  const { images } = opts;
  const tag = opts.tag ?? BOOTSTRAP_BASE_IMAGE;
  const suite = opts.suite ?? DEFAULT_SUITE;
  const mirror = opts.mirror ?? DEFAULT_MIRROR;
  const progress = safeProgress(opts.onProgress);
  requireImageTag(tag);
  // spawn() passes arguments without a shell, but a value starting with "-" would still be an option.
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(suite)) {
    throw new InvalidInput(`invalid Debian suite ${JSON.stringify(suite)}`, { hint: 'e.g. bookworm' });
  }
  requireMirror(mirror);

  if (opts.ifMissing && (await images.exists(tag))) {
    progress(`${tag} already exists; not bootstrapping`);
    return { tag, created: false };
  }

  const dir = await mkdtemp(join(tmpdir(), 'berth-bootstrap-'));
  try {
    const tarPath = join(dir, 'rootfs.tar');
    const args = [
      '--variant=apt',
      `--include=${BOOTSTRAP_PACKAGES.join(',')}`,
      '--aptopt=Acquire::Check-Valid-Until "false"',
    ];
    if (process.getuid?.() !== 0) args.push('--mode=unshare');
    args.push(suite, tarPath, mirror);

    progress(`bootstrapping Debian ${suite} from ${mirror} with mmdebstrap`);
    await runMmdebstrap(args, progress);

    progress(`importing the root filesystem as ${tag}`);
    const failure = await images.importRootfs(
      tarPath,
      { tag, changes: ['CMD ["bash"]', `LABEL ${LABEL_MANAGED}=true`] },
      progress,
    );
    if (failure !== undefined) throw new ImageError(`importing ${tag} failed: ${failure}`);
    progress(`imported ${tag}`);
    return { tag, created: true };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function runMmdebstrap(args: string[], progress: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 10) tail.shift();
      progress(line);
    };
    const out = lineSplitter(onLine);
    const errOut = lineSplitter(onLine);
    const child = spawn('mmdebstrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', out.push);
    child.stderr.on('data', errOut.push);
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') {
        reject(
          new ImageError('mmdebstrap is not installed, so berth cannot bootstrap a base image locally', {
            hint:
              'install it (Debian/Ubuntu: `apt-get install mmdebstrap`), or build from a registry base ' +
              `instead: \`berth image build --base ${REGISTRY_BASE_IMAGE}\``,
            cause: err,
          }),
        );
      } else {
        reject(new ImageError(`could not run mmdebstrap: ${err.message}`, { cause: err }));
      }
    });
    child.on('close', (code, signal) => {
      out.end();
      errOut.end();
      if (code === 0) return resolve();
      const how = code === null ? `was killed by ${signal}` : `exited with status ${code}`;
      reject(
        new ImageError(`mmdebstrap ${how}${tail.length ? `:\n${tail.join('\n')}` : ''}`, {
          hint: 'check that the Debian mirror is reachable and the suite exists',
        }),
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Build: docker/session/Dockerfile on top of a base

const PROXY_ARG_RE = /^(?:HTTP|HTTPS|FTP|NO|ALL)_PROXY$/i;

/** Only Docker's predefined proxy arguments: anything else would land in the image's history. */
function proxyBuildArgs(proxy: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(proxy ?? {})) if (PROXY_ARG_RE.test(k) && v) out[k] = v;
  return out;
}

export async function buildSessionImage(opts: {
  images: ImageEngine;
  tag?: string;
  base?: string;
  dockerfileDir?: string;
  onProgress?: ImageProgress;
  /** Paths of PEM files to trust inside the image (e.g. a TLS-inspecting proxy's CA). */
  caCertificates?: string[];
  /**
   * Proxy variables for the build's steps (HTTP_PROXY, https_proxy, …). They go in as Docker's
   * predefined build arguments, which the engine keeps out of the image's history and config.
   */
  proxy?: Record<string, string>;
}): Promise<{ tag: string; id: string }> {
  const { images } = opts;
  const tag = opts.tag ?? DEFAULT_SESSION_IMAGE;
  const progress = safeProgress(opts.onProgress);
  requireImageTag(tag);
  if (opts.base !== undefined) requireNonEmpty(opts.base, 'base image');
  const dockerfileDir = opts.dockerfileDir ?? defaultDockerfileDir();
  if (!(await isFile(join(dockerfileDir, 'Dockerfile')))) {
    throw new InvalidInput(`no Dockerfile in ${dockerfileDir}`);
  }
  const certs = await readCertificates(opts.caCertificates ?? []);

  const base =
    opts.base ?? ((await images.exists(BOOTSTRAP_BASE_IMAGE)) ? BOOTSTRAP_BASE_IMAGE : REGISTRY_BASE_IMAGE);
  progress(`building ${tag} from ${base}`);

  const engineArch = await images.architecture();

  // Node and extra certificates go into a copy of the context so that the repo's directory stays
  // clean; tarballs of other versions lying in it stay out.
  const contextDir = await mkdtemp(join(tmpdir(), 'berth-build-'));
  try {
    await cp(dockerfileDir, contextDir, {
      recursive: true,
      filter: (src) =>
        !(resolve(dirname(src)) === resolve(dockerfileDir) && isNodeTarballName(basename(src))),
    });
    await addNodeTarballs({ contextDir, engineArch, localDir: dockerfileDir, progress });
    await Promise.all(certs.map((pem, i) => writeFile(join(contextDir, `berth-ca-${i}.crt`), pem)));

    const failure = await images.build(
      contextDir,
      { tag, buildArgs: { ...proxyBuildArgs(opts.proxy), BASE: base }, labels: { [LABEL_MANAGED]: 'true' } },
      progress,
    );
    if (failure !== undefined) {
      const baseMissing = !(await images.exists(base).catch(() => true));
      throw new ImageError(`building ${tag} from base ${base} failed: ${failure}`, {
        hint: baseMissing
          ? `the base image ${base} is not present locally and could not be pulled; bootstrap one ` +
            `(${BOOTSTRAP_BASE_IMAGE}) or pick a base that exists`
          : 'the build output passed to onProgress shows the failing step',
      });
    }
  } finally {
    await rm(contextDir, { recursive: true, force: true });
  }

  const status = await sessionImageStatus(images, tag);
  if (!status.present || status.id === undefined) {
    throw new ImageError(`the build reported success but ${tag} is not in the engine`);
  }
  progress(`built ${tag} (${status.id})`);
  return { tag, id: status.id };
}

async function readCertificates(paths: string[]): Promise<string[]> {
  return Promise.all(
    paths.map(async (path) => {
      let pem: string;
      try {
        pem = await readFile(path, 'utf8');
      } catch (err) {
        throw new InvalidInput(`cannot read CA certificate ${path}`, { cause: err });
      }
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
        throw new InvalidInput(`${path} is not a PEM certificate`);
      }
      return pem;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Helpers

const NAME_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG_RE = new RegExp(
  `^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?${NAME_COMPONENT}(?:/${NAME_COMPONENT})*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`,
);

function requireImageTag(tag: string): void {
  if (!TAG_RE.test(tag)) {
    throw new InvalidInput(`invalid image tag ${JSON.stringify(tag)}`, {
      hint: 'use lowercase name[:tag], e.g. berth/session:bookworm',
    });
  }
}

function requireNonEmpty(value: string, what: string): void {
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidInput(`${what} must not be empty`);
}

function requireMirror(mirror: string): void {
  let url: URL;
  try {
    url = new URL(mirror);
  } catch {
    throw new InvalidInput(`invalid Debian mirror URL ${JSON.stringify(mirror)}`, { hint: DEFAULT_MIRROR });
  }
  if (!['http:', 'https:', 'file:'].includes(url.protocol)) {
    throw new InvalidInput(`unsupported Debian mirror URL ${JSON.stringify(mirror)}`, {
      hint: DEFAULT_MIRROR,
    });
  }
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** A progress callback that throws must not break the stream being followed. */
function safeProgress(onProgress: ImageProgress | undefined): (line: string) => void {
  return (line) => {
    if (!onProgress) return;
    try {
      onProgress(line);
    } catch {
      // the caller's display problem, not the build's
    }
  };
}

function lineSplitter(onLine: (line: string) => void): { push: (chunk: Buffer) => void; end: () => void } {
  let buf = '';
  const emit = (line: string) => {
    const trimmed = line.trimEnd();
    if (trimmed !== '') onLine(trimmed);
  };
  return {
    push: (chunk) => {
      buf += chunk.toString('utf8');
      const parts = buf.split(/\r?\n|\r/);
      buf = parts.pop() ?? '';
      for (const part of parts) emit(part);
    },
    end: () => {
      emit(buf);
      buf = '';
    },
  };
}
