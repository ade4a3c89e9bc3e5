import {
  BerthError,
  EngineError,
  EngineUnavailable,
  type ImageError,
  NotFound,
} from '../errors/berth-error.js';

/** What to do when no engine answers: the one hint every engine failure of berth's gives. */
export const ENGINE_HINT =
  'start the Docker Engine (`sudo systemctl start docker`, or `npm run setup` on Debian), or point DOCKER_HOST at a running one, and check `docker info`';

const PERMISSION_HINT = 'add your user to the docker group (`sudo usermod -aG docker $USER`)';

/** The fields of an engine client's failure berth reads (a response's status, or a socket's errno). */
interface EngineFailure {
  statusCode?: number;
  code?: string;
  syscall?: string;
  json?: { message?: unknown };
  message?: string;
}

/** The engine's HTTP status of a failed call; undefined when it never answered. */
export function engineStatus(err: unknown): number | undefined {
  const code = (err as EngineFailure | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's own words for a failure: its JSON message when it sent one. */
export function engineMessage(err: unknown): string {
  const e = (err ?? {}) as EngineFailure;
  return typeof e.json?.message === 'string' ? e.json.message : (e.message ?? String(err));
}

/**
 * Turns an engine client's failure into berth's error hierarchy, keeping the original as `cause`.
 * `what` reads after "to" ("inspect image x"). An engine that cannot be reached is always
 * EngineUnavailable; otherwise `kind` (ImageError for image work) or, by default, NotFound for a
 * 404 and EngineError for the rest. A BerthError is already berth's and passes through.
 */
export function toBerthError(err: unknown, what: string, kind?: typeof ImageError): BerthError {
  if (err instanceof BerthError) return err;
  const e = (err ?? {}) as EngineFailure;
  const status = engineStatus(err);
  const unreachable =
    e.code === 'ECONNREFUSED' ||
    e.code === 'ENOENT' ||
    e.code === 'EACCES' ||
    (status === undefined && e.syscall === 'connect');
  if (unreachable) {
    return new EngineUnavailable(
      `cannot reach the Docker Engine (${e.code ?? e.message}) while trying to ${what}`,
      { hint: e.code === 'EACCES' ? PERMISSION_HINT : ENGINE_HINT, cause: err },
    );
  }
  const detail = engineMessage(err);
  if (kind) return new kind(`the Docker Engine failed to ${what}: ${detail}`, { cause: err });
  if (status === 404) return new NotFound(`${what}: ${detail}`, { cause: err });
  return new EngineError(`the Docker Engine failed to ${what}: ${detail}`, { cause: err });
}
