// End to end in a real browser: headless Debian Chromium driven by playwright-core, against a real
// daemon and the real Docker Engine (see ./harness.ts). Screenshots go to test-artifacts/.

import { AGENT_IMAGE, containersOf, makeRepo, volumesOf } from '@berth/testkit';
import { expect, test } from 'vitest';
import { shot, startHarness, WAIT } from './harness.js';

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
  const rows = page.locator('.terminal-host .xterm-rows');
  await rows.waitFor();
  // The shell's prompt first: keys typed before the shell reads its terminal can be lost.
  await expect
    .poll(async () => ((await rows.textContent()) ?? '').trim().length, { timeout: WAIT })
    .toBeGreaterThan(0);
  await page.locator('.terminal-host').click();
  await page.keyboard.type('echo berth-e2e-$((6*7))');
  await page.keyboard.press('Enter');
  await rows.filter({ hasText: 'berth-e2e-42' }).waitFor();
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
