import { PROBLEM_TYPE_PREFIX, type Problem } from '@berth/api';
import { type ErrorCode, isBerthError, LimitReached, RateLimited, UpgradeRequired } from '@berth/core';
import type { FastifyError, FastifyInstance } from 'fastify';

/** The one place that maps berth's error codes to HTTP statuses. */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  not_found: 404,
  conflict: 409,
  invalid_input: 400,
  illegal_transition: 409,
  limit_reached: 429,
  engine_unavailable: 503,
  engine_error: 502,
  git_error: 500,
  image_error: 500,
  preview_error: 502,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  upgrade_required: 426,
  internal: 500,
};

const TITLES: Record<ErrorCode, string> = {
  not_found: 'Not found',
  conflict: 'Conflict',
  invalid_input: 'Invalid input',
  illegal_transition: 'Not allowed in this state',
  limit_reached: 'Limit reached',
  engine_unavailable: 'Docker Engine unavailable',
  engine_error: 'Docker Engine error',
  git_error: 'Git error',
  image_error: 'Image error',
  preview_error: 'Preview error',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed',
  rate_limited: 'Too many attempts',
  upgrade_required: 'Upgrade required',
  internal: 'Internal error',
};

export function problem(
  code: ErrorCode,
  detail: string,
  hint?: string,
  status = STATUS_BY_CODE[code],
): Problem {
  return {
    type: `${PROBLEM_TYPE_PREFIX}${code}`,
    title: TITLES[code],
    status,
    detail,
    code,
    ...(hint ? { hint } : {}),
  };
}

/** Any thrown value → RFC 9457 body. Never a stack trace, never a host path from an engine. */
export function toProblem(err: unknown): Problem {
  if (isBerthError(err)) return problem(err.code, err.message, err.hint);
  const fe = err as FastifyError;
  if (fe?.validation) {
    const where = fe.validationContext ?? 'request';
    return problem(
      'invalid_input',
      `${where}: ${fe.message.replace(/^(body|querystring|params)\/?\s*/, '')}`,
    );
  }
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return problem('invalid_input', fe.message, undefined, fe.statusCode);
  }
  return problem('internal', 'the daemon hit an unexpected error', 'see the daemon log for details');
}

export function registerProblemHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    const body = toProblem(err);
    if (body.status >= 500) req.log.error({ err }, 'request failed');
    if (err instanceof LimitReached) reply.header('retry-after', '30');
    // A route that knows better (a login refused for a second, not a minute) has said so already.
    if (err instanceof RateLimited && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
    if (body.code === 'unauthorized') reply.header('www-authenticate', 'Bearer realm="berth"');
    // RFC 9110: a 426 names the protocol to switch to.
    if (err instanceof UpgradeRequired) reply.header('upgrade', 'websocket').header('connection', 'Upgrade');
    reply.code(body.status).type('application/problem+json').send(body);
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .type('application/problem+json')
      .send(
        problem(
          'not_found',
          `no route ${req.method} ${req.url.split('?')[0]}`,
          'see the API reference in README.md',
        ),
      );
  });
}
