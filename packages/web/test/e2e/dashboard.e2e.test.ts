// End to end in a real browser: headless Debian Chromium driven by playwright-core, against a real
// daemon (`berth serve` on a free loopback port, its own BERTH_HOME) and the real Docker Engine.
// It needs the built dashboard (packages/web/dist) and /usr/bin/chromium; `npm test`'s setup step
// makes both. Screenshots go to test-artifacts/ at the repository root.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { expect, onTestFinished, test } from 'vitest';
import { AGENT_IMAGE, volumesOf } from '../../../core/test/agent-fixtures.js';
import {
  BUSYBOX_IMAGE,
  containersOf,
  makeRepo,
  removeContainersOf,
  tempDir,
} from '../../../core/test/fixtures.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(ROOT, 'packages/cli/bin/berth.js');
const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const PASSWORD = 'correct horse battery staple';
/** Every wait in the browser is bounded by this; the engine on a busy CI machine can be slow. */
const WAIT = 30_000;

function freePort(): Promise<number> {
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

function runCli(env: NodeJS.ProcessEnv, input: string, ...args: string[]): Promise<void> {
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

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
}

interface Harness {
  home: string;
  base: string;
  page: Page;
  pageErrors: string[];
  browser: Browser;
}

/** A daemon on a free loopback port with its own BERTH_HOME and an admin, and a browser logged in. */
async function startHarness(opts: { config?: unknown } = {}): Promise<Harness> {
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

  // Log in: an unknown visitor is sent to the login page first.
  await page.goto(base);
  await page.waitForURL(/\/login/);
  await page.locator('#login-username').fill('admin');
  await page.locator('#login-password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Sessions' }).waitFor();
  return { home, base, page, pageErrors, browser };
}

test('a user logs in, creates a session, uses its shell, pauses and deletes it', {
  timeout: 180_000,
}, async () => {
  const { home, base, page, pageErrors } = await startHarness();
  const repo = makeRepo({ 'README.md': '# e2e\n' });
  await page.getByText('No sessions yet').waitFor();
  // Create a session through the form.
  await page.getByRole('link', { name: 'New session' }).first().click();
  await page.waitForURL(/\/new$/);
  await page.locator('#create-name').fill('e2e-one');
  await page.locator('#create-repo').fill(repo);
  await shot(page, 'create-form.png');
  await page.getByRole('button', { name: 'Create session' }).click();
  await page.waitForURL(/\/sessions\/e2e-one$/, { timeout: 60_000 });

  // Its shell: run `echo` and see what the shell computed (not just the typed echo of the input).
  await page.locator('#tab-terminal').click();
  await page.getByRole('button', { name: 'Open a shell' }).click();
  await page.locator('.terminal-status', { hasText: 'Connected' }).waitFor();
  await page.locator('.terminal-host .xterm-rows').waitFor();
  await page.locator('.terminal-host').click();
  await page.keyboard.type('echo berth-e2e-$((6*7))');
  await page.keyboard.press('Enter');
  await page.locator('.terminal-host .xterm-rows', { hasText: 'berth-e2e-42' }).waitFor();
  await shot(page, 'session-terminal.png');

  // Back on the dashboard, live: the session is there and running.
  await page.getByRole('link', { name: 'Sessions', exact: true }).first().click();
  await page.waitForURL(`${base}/`);
  const card = page.locator('.session-card', { hasText: 'e2e-one' });
  await card.locator('.status-running').waitFor();
  await shot(page, 'dashboard.png');

  // Pause it and see the status change.
  await page.getByRole('button', { name: 'Pause e2e-one' }).click();
  await card.locator('.status-paused').waitFor();

  // Delete it (confirming), and it leaves the list and the engine.
  await page.getByRole('button', { name: 'Delete e2e-one' }).click();
  await page.getByRole('button', { name: 'Delete session' }).click();
  await card.waitFor({ state: 'detached' });
  await page.getByText('No sessions yet').waitFor();
  await expect.poll(async () => (await containersOf(home)).length, { timeout: WAIT }).toBe(0);
  expect(pageErrors).toEqual([]);
});

test('an agent session: its own terminal drives the agent, and its preview opens on its own origin', {
  timeout: 240_000,
}, async () => {
  const { home, page, pageErrors } = await startHarness({
    config: {
      agents: {
        'stand-in': {
          command: ['berth-stand-in-agent'],
          resume: ['berth-stand-in-agent', '--continue'],
          image: AGENT_IMAGE,
        },
      },
    },
  });
  const repo = makeRepo({ 'README.md': '# e2e\n', 'index.html': '<h1>preview from the session</h1>\n' });

  // The form: an agent with its first prompt, and a preview of the project.
  await page.getByRole('link', { name: 'New session' }).first().click();
  await page.waitForURL(/\/new$/);
  await page.locator('#create-name').fill('e2e-agent');
  await page.locator('#create-repo').fill(repo);
  await page.locator('#create-agent').selectOption('stand-in');
  await page.locator('#create-prompt').fill('write hello.txt: written by the agent');
  await page.locator('#create-preview').check();
  await shot(page, 'create-form-agent.png');
  await page.getByRole('button', { name: 'Create session' }).click();
  await page.waitForURL(/\/sessions\/e2e-agent$/, { timeout: 90_000 });

  // The agent's own terminal: it shows what the agent did, and a typed line is a new prompt.
  await page.locator('#tab-agent').click();
  await page.getByRole('button', { name: 'Attach to the agent' }).click();
  const screen = page.locator('.terminal-host .xterm-rows').first();
  await screen.waitFor();
  await page.locator('.terminal-status', { hasText: 'Connected' }).first().waitFor();
  await page.locator('.terminal-host .xterm-rows', { hasText: 'stand-in: wrote hello.txt' }).waitFor();
  await page.locator('.terminal-host').first().click();
  await page.keyboard.type('write second.txt: typed in the browser');
  await page.keyboard.press('Enter');
  await page.locator('.terminal-host .xterm-rows', { hasText: 'stand-in: wrote second.txt' }).waitFor();
  await shot(page, 'session-agent-terminal.png');

  // Both edits are on the branch's diff.
  await page.locator('#tab-diff').click();
  const diff = page.locator('#panel-diff');
  await diff.locator('.diff-add', { hasText: 'typed in the browser' }).waitFor();
  await diff.locator('.diff-add', { hasText: 'written by the agent' }).waitFor();

  // The preview opens in a new tab on its own origin, never the dashboard's.
  await page.locator('#tab-overview').click();
  const [preview] = await Promise.all([
    page.waitForEvent('popup'),
    page.getByRole('button', { name: 'Open preview' }).click(),
  ]);
  await preview.waitForURL(/^http:\/\/e2e-agent\.preview\.localhost:\d+\/$/);
  await preview.getByText('preview from the session').waitFor();
  expect(await preview.evaluate('document.cookie')).toBe('');
  await shot(preview, 'preview.png');
  await preview.close();

  // Deleting the session takes its container and its state volume with it.
  await page.getByRole('button', { name: 'Delete e2e-agent' }).click();
  await page.getByRole('button', { name: 'Delete session' }).click();
  await page.waitForURL(/\/$/);
  await expect.poll(async () => (await containersOf(home)).length, { timeout: WAIT }).toBe(0);
  await expect.poll(async () => (await volumesOf(home)).length, { timeout: WAIT }).toBe(0);
  expect(pageErrors).toEqual([]);
});
