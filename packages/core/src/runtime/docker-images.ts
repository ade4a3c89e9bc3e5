import { createReadStream } from 'node:fs';
import Docker from 'dockerode';
import { pack } from 'tar-fs';
import { ImageError } from '../errors/berth-error.js';
import { engineStatus, toBerthError } from './engine-errors.js';
import type { ImageEngine, ImageProgress, ImageStatus } from './images.js';

/** The Docker Engine's side of berth's images (runtime/images.ts). */
export class DockerImages implements ImageEngine {
  constructor(private readonly docker: Docker = new Docker()) {}

  async exists(ref: string): Promise<boolean> {
    try {
      await this.docker.getImage(ref).inspect();
      return true;
    } catch (err) {
      if (engineStatus(err) === 404) return false;
      throw toBerthError(err, `inspect image ${ref}`);
    }
  }

  async status(tag: string): Promise<ImageStatus> {
    try {
      const info = await this.docker.getImage(tag).inspect();
      return { tag, present: true, id: info.Id, created: info.Created, sizeBytes: info.Size };
    } catch (err) {
      if (engineStatus(err) === 404) return { tag, present: false };
      throw toBerthError(err, `inspect image ${tag}`);
    }
  }

  async architecture(): Promise<string> {
    try {
      return String((await this.docker.version()).Arch ?? '');
    } catch (err) {
      throw toBerthError(err, 'say its architecture');
    }
  }

  async importRootfs(
    tarPath: string,
    opts: { tag: string; changes: string[] },
    progress: ImageProgress,
  ): Promise<string | undefined> {
    const { repo, tag } = splitTag(opts.tag);
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.importImage(createReadStream(tarPath), { repo, tag, changes: opts.changes });
    } catch (err) {
      throw toBerthError(err, `import ${opts.tag}`, ImageError);
    }
    return this.follow(stream, progress);
  }

  async build(
    contextDir: string,
    opts: { tag: string; buildArgs: Record<string, string>; labels: Record<string, string> },
    progress: ImageProgress,
  ): Promise<string | undefined> {
    let stream: NodeJS.ReadableStream;
    try {
      // tar-fs packs with a streamx stream: it pipes like a Node stream, which is all docker-modem does.
      const context = pack(contextDir) as unknown as NodeJS.ReadableStream;
      stream = await this.docker.buildImage(context, {
        t: opts.tag,
        buildargs: opts.buildArgs,
        labels: opts.labels,
        rm: true,
        forcerm: true,
      });
    } catch (err) {
      throw toBerthError(err, `build ${opts.tag}`, ImageError);
    }
    return this.follow(stream, progress);
  }

  /**
   * Follows a build/import stream to its end, forwarding its lines. Resolves with the engine's error
   * message when the stream reported one (the HTTP status is 200 even then), else undefined.
   */
  private follow(stream: NodeJS.ReadableStream, progress: ImageProgress): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      let failure: string | undefined;
      this.docker.modem.followProgress(
        stream,
        (err: Error | null) => {
          if (err) reject(toBerthError(err, 'send the rest of its stream', ImageError));
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
}

interface StreamEvent {
  stream?: string;
  status?: string;
  id?: string;
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/** Splits "repo:tag" (the registry host may carry a port: "host:5000/repo:tag"). */
function splitTag(ref: string): { repo: string; tag: string } {
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref, tag: 'latest' };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching terminal escapes is the point
const ANSI_RE = /\x1b\[[0-9;?]*[A-Za-z]/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}
