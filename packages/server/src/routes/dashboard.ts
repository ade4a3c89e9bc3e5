import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_PREFIX } from '@berth/api';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { problem } from '../problems.js';

/** Where `npm run build` puts the web dashboard: packages/web/dist, beside this package. */
export const DASHBOARD_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** Vite's output names: hashed files under /assets, a few plain ones at the top. No dotfiles, no `%`. */
const ASSET = /^\/assets\/[\w-][\w.-]*$/;
const TOP_FILE = /^\/[\w-][\w.-]*\.\w+$/;

const FOREVER = 'public, max-age=31536000, immutable';
const ALWAYS_ASK = 'no-cache';

/**
 * The page runs only berth's own scripts and talks only to its own origin (REST and WebSockets);
 * xterm.js adds <style> elements, hence the inline styles; no site may frame it.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
};

/**
 * The dashboard owns the GETs that no route claims outside the API: its files and its client-side
 * pages. They need no credentials (the login page is one of them); everything under the API does.
 */
export function isDashboardRequest(req: FastifyRequest): boolean {
  if ((req.method !== 'GET' && req.method !== 'HEAD') || !req.is404) return false;
  const path = pathOf(req);
  return path !== API_PREFIX && !path.startsWith(`${API_PREFIX}/`);
}

export interface DashboardOptions {
  /** The built dashboard; packages/web/dist by default. */
  root?: string;
}

/**
 * Serves the built dashboard at `/`: hashed assets cached for a year, index.html revalidated every
 * time, and index.html for the client-side pages (`/sessions/NAME`) a browser navigates to. It
 * answers from the not-found path, so the API's routes and their checks are untouched. Unbuilt, a
 * page request gets a problem that says how to build it.
 */
export async function registerDashboard(app: FastifyInstance, opts: DashboardOptions = {}): Promise<void> {
  const root = opts.root ?? DASHBOARD_DIST;
  // Only `reply.sendFile` (ETag, Last-Modified, ranges, HEAD, safe paths): no routes of its own.
  await app.register(fastifyStatic, { root, serve: false });

  app.addHook('onRequest', async (req, reply) => {
    if (!isDashboardRequest(req)) return;
    const path = pathOf(req);
    if (ASSET.test(path) || TOP_FILE.test(path)) {
      const rel = path.slice(1);
      // Anything else answers as the API does: a not-found problem.
      if (!(await isFile(join(root, rel)))) return;
      return send(reply, rel, rel.startsWith('assets/') ? FOREVER : ALWAYS_ASK);
    }
    if (!wantsPage(req, path)) return;
    if (!(await isFile(join(root, 'index.html')))) {
      return reply
        .code(404)
        .type('application/problem+json')
        .send(
          problem(
            'not_found',
            'the web dashboard is not built in this install',
            'run `npm run build` at the repository root; the server picks it up without a restart',
          ),
        );
    }
    return send(reply, 'index.html', ALWAYS_ASK);
  });
}

function send(reply: FastifyReply, rel: string, cacheControl: string): FastifyReply {
  reply.header('cache-control', cacheControl);
  if (rel === 'index.html') reply.headers(PAGE_HEADERS);
  return reply.sendFile(rel, { cacheControl: false });
}

/** A browser navigating (it takes HTML) to a path that is not a file (no dot in its last part). */
function wantsPage(req: FastifyRequest, path: string): boolean {
  const accept = req.headers.accept;
  const html = accept === undefined || accept.includes('text/html') || accept.includes('*/*');
  return html && !path.slice(path.lastIndexOf('/') + 1).includes('.');
}

function pathOf(req: FastifyRequest): string {
  return req.url.split('?')[0] ?? '/';
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}
