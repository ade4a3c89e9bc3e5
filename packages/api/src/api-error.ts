import type { Problem } from './schemas.js';

/**
 * A problem+json answer (RFC 9457) from the server, or a server that did not answer at all. No
 * Node or DOM dependency: the CLI's client and the dashboard both throw it.
 */
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

  /** A failed answer's body: its problem details when the server sent them, else a generic one. */
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
