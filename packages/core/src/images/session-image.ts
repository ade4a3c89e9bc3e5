/**
 * The session image: what every berth session container runs.
 *
 * No registry is assumed. `bootstrapBaseImage` makes a Debian base locally with mmdebstrap and
 * imports it into the engine; `buildSessionImage` builds docker/session/Dockerfile on top of that
 * base (or on a registry base such as debian:bookworm-slim where one is reachable), with Node.js
 * fetched on the host into the build context (session-node.ts).
 */
import { spawn } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type Docker from 'dockerode';
import { pack } from 'tar-fs';
import {
  BerthError,
  EngineError,
  EngineUnavailable,
  ImageError,
  InvalidInput,
} from '../errors/berth-error.js';
import { LABEL_MANAGED } from '../runtime/labels.js';
import { addNodeTarballs, isNodeTarballName } from './session-node.js';

export const DEFAULT_SESSION_IMAGE = 'berth/session:bookworm';
export const BOOTSTRAP_BASE_IMAGE = 'berth/base:bookworm';
/** The base used when no bootstrapped base exists locally: needs a reachable registry. */
export const REGISTRY_BASE_IMAGE = 'debian:bookworm-slim';

const DEFAULT_SUITE = 'bookworm';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
const BOOTSTRAP_PACKAGES = ['git', 'ca-certificates', 'bash', 'curl', 'tmux', 'procps', 'busybox'];

/** Receives human-readable progress lines (no trailing newline, never empty). */
export type ImageProgress = (line: string) => void;

/**
 * docker/session at the repo root. This file sits 4 levels below the root both as source
 * (packages/core/src/images/) and compiled (packages/core/dist/images/), so one path serves both.
 */
function defaultDockerfileDir(): string {
  return fileURLToPath(new URL('../../../../docker/session/', import.meta.url));
}

// ---------------------------------------------------------------------------------------------
// Queries

export async function imageExists(docker: Docker, ref: string): Promise<boolean> {
  requireNonEmpty(ref, 'image reference');
  try {
    await docker.getImage(ref).inspect();
    return true;
  } catch (err) {
    if (statusCode(err) === 404) return false;
    throw engineFailure(err, `inspecting image ${ref}`);
  }
}

export async function sessionImageStatus(
  docker: Docker,
  tag = DEFAULT_SESSION_IMAGE,
): Promise<{ tag: string; present: boolean; id?: string; created?: string; sizeBytes?: number }> {
  requireNonEmpty(tag, 'image tag');
  try {
    const info = await docker.getImage(tag).inspect();
    return { tag, present: true, id: info.Id, created: info.Created, sizeBytes: info.Size };
  } catch (err) {
    if (statusCode(err) === 404) return { tag, present: false };
    throw engineFailure(err, `inspecting image ${tag}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Bootstrap: a Debian rootfs made by mmdebstrap, imported as an image

export async function bootstrapBaseImage(opts: {
  docker: Docker;
  tag?: string;
  suite?: string;
  mirror?: string;
  onProgress?: ImageProgress;
  ifMissing?: boolean;
}): Promise<{ tag: string; created: boolean }> {
  const { docker } = opts;
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

  if (opts.ifMissing && (await imageExists(docker, tag))) {
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

    const { repo, tag: imageTag } = splitTag(tag);
    progress(`importing the root filesystem as ${tag}`);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await docker.importImage(createReadStream(tarPath), {
        repo,
        tag: imageTag,
        changes: ['CMD ["bash"]', `LABEL ${LABEL_MANAGED}=true`],
      });
    } catch (err) {
      throw engineFailure(err, `importing ${tag}`, ImageError);
    }
    const failure = await followStream(docker, stream, progress);
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
  docker: Docker;
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
  const { docker } = opts;
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
    opts.base ??
    ((await imageExists(docker, BOOTSTRAP_BASE_IMAGE)) ? BOOTSTRAP_BASE_IMAGE : REGISTRY_BASE_IMAGE);
  progress(`building ${tag} from ${base}`);

  const engineArch = await docker.version().then(
    (v) => String(v.Arch ?? ''),
    (err: unknown) => {
      throw engineFailure(err, 'asking the engine its architecture');
    },
  );

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

    let stream: NodeJS.ReadableStream;
    try {
      // tar-fs packs with a streamx stream: it pipes like a Node stream, which is all docker-modem does.
      const context = pack(contextDir) as unknown as NodeJS.ReadableStream;
      stream = await docker.buildImage(context, {
        t: tag,
        buildargs: { ...proxyBuildArgs(opts.proxy), BASE: base },
        labels: { [LABEL_MANAGED]: 'true' },
        rm: true,
        forcerm: true,
      });
    } catch (err) {
      throw engineFailure(err, `building ${tag}`, ImageError);
    }
    const failure = await followStream(docker, stream, progress);
    if (failure !== undefined) {
      const baseMissing = !(await imageExists(docker, base).catch(() => true));
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

  const status = await sessionImageStatus(docker, tag);
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
// Engine streams

interface StreamEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Follows a build/import stream to its end, forwarding its lines. Resolves with the engine's error
 * message when the stream reported one (the HTTP status is 200 even then), else undefined.
 */
function followStream(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  progress: (line: string) => void,
): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    let failure: string | undefined;
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        if (err) reject(engineFailure(err, 'reading the engine stream', ImageError));
        else resolve(failure);
      },
      (event: StreamEvent) => {
        if (event.error !== undefined || event.errorDetail !== undefined) {
          failure ??= (event.errorDetail?.message ?? event.error ?? 'unknown error').trim();
          progress(`error: ${failure}`);
          return;
        }
        if (typeof event.stream === 'string') {
          // The classic builder wraps a RUN step's stderr in colour codes.
          for (const line of stripAnsi(event.stream).split(/\r?\n|\r/)) {
            const trimmed = line.trimEnd();
            if (trimmed !== '') progress(trimmed);
          }
        } else if (typeof event.status === 'string') {
          const line = [event.id, event.status, event.progress].filter(Boolean).join(' ').trim();
          if (line !== '') progress(line);
        }
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** Splits "repo:tag" (the registry host may carry a port: "host:5000/repo:tag"). */
function splitTag(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

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

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

function statusCode(err: unknown): number | undefined {
  const code = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** Turns a dockerode failure into a BerthError: unreachable engine, or an engine-side error. */
function engineFailure(
  err: unknown,
  doing: string,
  Kind: typeof EngineError | typeof ImageError = EngineError,
): BerthError {
  if (err instanceof BerthError) return err;
  const e = err as NodeJS.ErrnoException | null;
  if (statusCode(err) === undefined && e?.syscall === 'connect') {
    return new EngineUnavailable(`cannot reach the Docker Engine (${e.code ?? e.message})`, {
      hint: 'start dockerd, or point DOCKER_HOST at a running engine',
      cause: err,
    });
  }
  const json = (err as { json?: { message?: unknown } } | null)?.json;
  const message = typeof json?.message === 'string' ? json.message : (e?.message ?? String(err));
  return new Kind(`${doing} failed: ${message}`, { cause: err });
}
