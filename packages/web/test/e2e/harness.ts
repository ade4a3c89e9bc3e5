// What the end-to-end browser tests share: a real daemon (`berth serve` on a free loopback port,
// its own BERTH_HOME) on the real Docker Engine, the CLI run against it, and headless Debian
// Chromium (playwright-core) logged in to its dashboard. It needs the built dashboard
// (packages/web/dist) and /usr/bin/chromium; `npm test`'s setup step makes both.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUSYBOX_IMAGE, removeContainersOf, tempDir } from '@berth/testkit';
import { type Browser, chromium, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';

export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/berth.js');
const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
/** Screenshots go here, at the repository root. */
export const ARTIFACTS = join(ROOT, 'test-artifacts');
const PASSWORD = 'correct horse battery staple';
/** Every wait in the browser is bounded by this; the engine on a busy CI machine can be slow. */
export const WAIT = 30_000;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The CLI (`berth ARGS`) with `env` (a harness's, to reach its daemon), `input` on its stdin. */
export function runCli(env: NodeJS.ProcessEnv, input: string, ...args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [BIN, ...args], { env }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`berth ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve();
    });
    child.stdin?.end(input);
  });
}

/** The daemon answers the dashboard's page on TCP (no credentials needed for it). */
async function waitForDaemon(daemon: ChildProcess, base: string, logFile: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (daemon.exitCode !== null || daemon.signalCode !== null) break;
    const ok = await fetch(`${base}/login`, { headers: { accept: 'text/html' } }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the daemon did not come up:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

/**
 * Signs the harness's admin in on `page` and waits for the dashboard. A tab signs in on its own
 * (its CSRF token is in its sessionStorage), so a second tab needs this too.
 */
export async function logIn(page: Page, base: string): Promise<void> {
  // An unknown visitor is sent to the login page first.
  await page.goto(base);
  await page.waitForURL(/\/login/);
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sessions' }).waitFor();
}

export interface Harness {
  home: string;
  base: string;
  /** The environment the daemon runs with: give it to `runCli` to reach this daemon. */
  env: NodeJS.ProcessEnv;
  /** The daemon's log (stdout and stderr). */
  logFile: string;
  page: Page;
  pageErrors: string[];
  browser: Browser;
}

/** A daemon on a free loopback port with its own BERTH_HOME and an admin, and a browser logged in. */
export async function startHarness(opts: { config?: unknown } = {}): Promise<Harness> {
  if (!existsSync(join(ROOT, 'packages/web/dist/index.html'))) {
    throw new Error('the dashboard is not built: run `npm run build` (npm test does it)');
  }
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: run \`node scripts/setup.mjs --for-tests\` (installs Debian's chromium)`,
    );
  }
  mkdirSync(ARTIFACTS, { recursive: true });

  const home = tempDir('berth-e2e-');
  if (opts.config) writeFileSync(join(home, 'config.json'), JSON.stringify(opts.config));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    BERTH_HOME: home,
    BERTH_IMAGE: BUSYBOX_IMAGE,
    NO_COLOR: '1',
  };
  for (const k of ['BERTH_HOST', 'BERTH_NETWORK', 'BERTH_SESSION_UID', 'BERTH_SESSION_GID', 'BERTH_CONFIG']) {
    delete env[k];
  }
  const logFile = join(home, 'daemon.log');
  const logFd = openSync(logFile, 'a');
  const daemon = spawn(process.execPath, [BIN, 'serve'], {
    cwd: ROOT,
    env: { ...env, BERTH_PORT: String(port) },
    stdio: ['ignore', logFd, logFd],
  });
  let browser: Browser | null = null;
  // Cleanup first, before any assert: the browser, the daemon by its pid, containers and volumes by label.
  onTestFinished(async () => {
    await browser?.close().catch(() => undefined);
    if (daemon.pid && daemon.exitCode === null && daemon.signalCode === null) {
      try {
        process.kill(daemon.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await removeContainersOf(home);
  });

  await waitForDaemon(daemon, base, logFile);
  await runCli(env, `${PASSWORD}\n`, 'user', 'add', 'admin', '--admin', '--password-stdin');

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    timeout: WAIT,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  context.setDefaultTimeout(WAIT);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));

  await logIn(page, base);
  return { home, base, env, logFile, page, pageErrors, browser };
}
