import type { Problem } from './types';

/** A problem+json answer (RFC 9457) from the server, or a server that did not answer at all. */
export class ApiError extends Error {
  constructor(
    readonly problem: Problem,
    readonly status: number,
  ) {
    super(problem.detail);
    this.name = 'ApiError';
  }

  get code(): string {
    return this.problem.code;
  }

  get hint(): string | undefined {
    return this.problem.hint;
  }

  static unreachable(cause: unknown): ApiError {
    const err = new ApiError(
      {
        type: 'about:blank',
        title: 'No answer',
        status: 0,
        detail: 'the berth server did not answer',
        code: 'network',
        hint: 'check that `berth serve` is running and reachable, then try again',
      },
      0,
    );
    err.cause = cause;
    return err;
  }

  /** Reads a failed response's body: problem details when the server sent them. */
  static async from(res: Response): Promise<ApiError> {
    const text = await res.text().catch(() => '');
    return ApiError.fromText(res.status, text);
  }

  static fromText(status: number, text: string): ApiError {
    try {
      const p = JSON.parse(text) as Partial<Problem> | null;
      if (p && typeof p.detail === 'string' && typeof p.code === 'string') {
        return new ApiError({ type: 'about:blank', title: 'Error', status, ...p } as Problem, status);
      }
    } catch {
      // Not JSON: a proxy's page, say. Fall through to a generic problem.
    }
    return new ApiError(
      {
        type: 'about:blank',
        title: 'Error',
        status,
        detail: text.trim().slice(0, 300) || `the server answered HTTP ${status}`,
        code: 'internal',
      },
      status,
    );
  }
}

/** What to show for any thrown value: the problem's detail and hint, or the error's message. */
export function describeError(err: unknown): { detail: string; hint?: string } {
  if (err instanceof ApiError)
    return err.hint ? { detail: err.message, hint: err.hint } : { detail: err.message };
  if (err instanceof Error) return { detail: err.message };
  return { detail: String(err) };
}
