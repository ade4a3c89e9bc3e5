// End to end in a real browser with a real agent: the real Claude Code (from berth's agents
// volume) in real sessions of berth's own image, made from the dashboard's form, against a
// scripted Anthropic Messages API on this host (the session network's gateway). The sessions are
// filtered, berth's default: the agent reaches only the key broker, which forwards to the
// scripted API, and anything else it tries is in berth's egress log (what the session page's
// Network panel reads). The dashboard
// is watched in its own tab the whole time: what the agent does shows there live, no reload.
// See ./harness.ts for the daemon and the browser. Screenshots go to test-artifacts/.

import { DockerRuntime, loadConfig } from '@berth/core';
import { docker, makeRepo } from '@berth/testkit';
import { type ScriptedAnthropic, scriptedAnthropic, userTexts } from '@berth/testkit/model-api/anthropic';
import type { ScriptedTurn } from '@berth/testkit/model-api/script';
import { networkGateway, SESSION_IMAGE } from '@berth/testkit/session-agents';
import type { Locator, Page } from 'playwright-core';
import { expect, onTestFinished, test } from 'vitest';
import { type Harness, logIn, runCli, shot, startHarness, WAIT } from './harness.js';

const ANTHROPIC_KEY = 'sk-ant-api03-e2e-0123456789-abcdefghijKLMNOPQRST';
/** The task is the prompt's first line. */
const TASK = 'Create hello.txt saying hello, then record that the command ran.';
const PROMPT = `${TASK}\nKeep it to those two files.`;
/** Starting the agent and one scripted turn; generous for a loaded two-core machine. */
const TURN_MS = 120_000;

/** A Write and a Bash call (two files, a line each), then the text that ends the turn. */
const TURNS: ScriptedTurn[] = [
  {
    text: 'Writing the file.',
    toolCalls: [
      { name: 'Write', input: { file_path: '/workspace/hello.txt', content: 'hello from the script\n' } },
      { name: 'Bash', input: { command: 'echo ran > ran.txt', description: 'Record the run' } },
    ],
  },
  { text: 'All done: hello.txt is there.' },
];

/**
 * Records, in the page, each agent status a session's card shows (every change, however brief:
 * a mutation observer, not polling): `window.__agentStates[name]`.
 */
const RECORD_AGENT_STATES = `(() => {
  const seen = {};
  window.__agentStates = seen;
  const look = () => {
    for (const card of document.querySelectorAll('.session-card')) {
      const name = card.querySelector('.session-name')?.textContent;
      const state = card.querySelector('.agent-status')?.textContent;
      if (!name || !state) continue;
      const list = (seen[name] ??= []);
      if (list[list.length - 1] !== state) list.push(state);
    }
  };
  new MutationObserver(look).observe(document.body, { subtree: true, childList: true, characterData: true });
  look();
})()`;

/** The session network's gateway: the daemon's default network, made as the daemon makes it. */
function sessionGateway(home: string): Promise<string> {
  return networkGateway(new DockerRuntime({ home, docker }), loadConfig({ BERTH_HOME: home }).sessionNetwork);
}

interface AgentHarness extends Harness {
  api: ScriptedAnthropic;
  /** A second tab on the dashboard, left open: the live view. */
  board: Page;
}

/**
 * A daemon whose built-in claude profile talks to the scripted API (through the key broker), its key stored by `berth auth setup` as a user does it, and the dashboard open.
 */
async function startAgentHarness(): Promise<AgentHarness> {
  const gateway = await sessionGateway('/nonexistent-berth-home');
  const api = await scriptedAnthropic({ turns: TURNS, host: gateway });
  onTestFinished(() => api.close());
  // Settings on the built-in profile, which stays Claude Code with berth's seeds.
  const config = { agents: { claude: { env: { ANTHROPIC_BASE_URL: api.url } } } };
  const h = await startHarness({ config });
  await runCli(
    { ...h.env, ANTHROPIC_API_KEY: ANTHROPIC_KEY },
    '',
    'auth',
    'setup',
    'claude',
    '--key',
    'ANTHROPIC_API_KEY',
    '--no-dir',
  );
  // The live dashboard in a browser context of its own, signed in beside the first: it stays open
  // on the list while the other one drives the form and the agent's terminal.
  const boardContext = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  boardContext.setDefaultTimeout(WAIT);
  const board = await boardContext.newPage();
  board.on('pageerror', (err) => h.pageErrors.push(`dashboard tab: ${err.message}`));
  await logIn(board, h.base);
  await board.evaluate(RECORD_AGENT_STATES);
  return { ...h, api, board };
}

/** What a filtered session tried to reach besides the broker: the API the Network panel reads. */
async function egressTried(page: Page, name: string): Promise<string[]> {
  type Report = { egress: { mode: string } | null; decisions: Array<{ host: string }> };
  const report: Report = await page.evaluate(
    async (n) => (await (await fetch(`/api/v1/sessions/${n}/egress`)).json()) as Report,
    name,
  );
  expect(report.egress?.mode).toBe('allowlist');
  return report.decisions.map((d) => d.host);
}

/** The create form, as a user fills it for an agent session on berth's session image. */
async function createAgentSession(page: Page, name: string, autonomy: 'full' | 'ask'): Promise<void> {
  const repo = makeRepo({ 'README.md': '# e2e\n' });
  await page.getByRole('link', { name: 'New session' }).first().click();
  await page.waitForURL(/\/new$/);
  await page.locator('#create-name').fill(name);
  await page.locator('#create-repo').fill(repo);
  await page.locator('#create-image').fill(SESSION_IMAGE);
  await page.locator('#create-agent').selectOption('claude');
  await page.locator('#create-prompt').fill(PROMPT);
  const full = page.getByRole('radio', { name: /^Full/ });
  const ask = page.getByRole('radio', { name: /^Ask/ });
  expect(await full.isChecked()).toBe(true);
  if (autonomy === 'ask') await ask.check();
  await shot(page, `create-form-${autonomy}.png`);
  await page.getByRole('button', { name: 'Create session' }).click();
  await page.waitForURL(new RegExp(`/sessions/${name}$`), { timeout: TURN_MS });
}

/** A session's card on the dashboard, found by its name's link. */
function cardOf(board: Page, name: string): Locator {
  return board.locator('.session-card', { has: board.getByRole('link', { name, exact: true }) });
}

/** Its agent status badge reads "agent STATE" (the first word only for screen readers). */
function badge(card: Locator, words: string): Locator {
  return card.locator('.agent-status', { hasText: new RegExp(`^agent ${words}$`) });
}

async function statesSeen(board: Page, name: string): Promise<string[]> {
  return (await board.evaluate(`window.__agentStates[${JSON.stringify(name)}] ?? []`)) as string[];
}

/** What the scripted API must have been asked: the task, with the key berth stored. */
function expectTheConversation(api: ScriptedAnthropic) {
  const [opening] = api.conversation();
  expect(opening && userTexts(opening).some((t) => t.includes(TASK))).toBe(true);
  expect(api.turnsUsed()).toBe(TURNS.length);
  for (const r of api.requests) expect(r.headers['x-api-key']).toBe(ANTHROPIC_KEY);
}

test('an agent session from the form, full autonomy: its card shows it working, then idle, with its task and change size, live', {
  timeout: 420_000,
}, async () => {
  const { page, board, api, pageErrors } = await startAgentHarness();
  await createAgentSession(page, 'e2e-full', 'full');

  const card = cardOf(board, 'e2e-full');
  await card.waitFor();
  expect(await card.locator('.session-task').textContent()).toBe(TASK);
  await badge(card, 'idle').waitFor({ timeout: TURN_MS * 2 });
  await card.locator('.diff-stat', { hasText: '+2 −0 in 2 files' }).waitFor();
  await shot(board, 'dashboard-agent-idle.png');
  // Every state the card showed, in order: it was working before it was idle.
  const seen = await statesSeen(board, 'e2e-full');
  expect(seen).toContain('agent working');
  expect(seen.indexOf('agent working')).toBeLessThan(seen.lastIndexOf('agent idle'));
  expect(seen.at(-1)).toBe('agent idle');
  // Nobody needed: no mark, and the filter counts none.
  expect(await board.getByRole('link', { name: 'e2e-full needs you' }).count()).toBe(0);
  await board.getByRole('button', { name: 'Needs me 0' }).waitFor();
  expectTheConversation(api);
  expect(await egressTried(board, 'e2e-full')).toEqual([]);
  expect(pageErrors).toEqual([]);
});

test('an agent session that asks: its card says it needs you, it is answered in its terminal in the browser, and the mark clears', {
  timeout: 420_000,
}, async () => {
  const { page, board, api, pageErrors } = await startAgentHarness();
  await createAgentSession(page, 'e2e-ask', 'ask');

  const card = cardOf(board, 'e2e-ask');
  const mark = board.getByRole('link', { name: 'e2e-ask needs you' });
  await mark.waitFor({ timeout: TURN_MS * 2 });
  expect(await mark.textContent()).toBe('needs you');
  await badge(card, 'needs input').waitFor();
  await board.getByRole('button', { name: 'Needs me 1' }).waitFor();
  // It asked before writing anything.
  await card.locator('.diff-stat', { hasText: 'no changes' }).waitFor();
  await shot(board, 'dashboard-needs-you.png');

  // The agent's terminal in the session's page: Enter takes option 1, "Yes", one question a tool.
  await page.locator('#tab-agent').click();
  await page.getByRole('button', { name: 'Attach to the agent' }).click();
  const screen = page.locator('.terminal-host .xterm-rows').first();
  await screen.waitFor();
  await page.locator('.terminal-status', { hasText: 'Connected' }).first().waitFor();
  await page.locator('.terminal-host .xterm-rows', { hasText: 'Do you want to' }).first().waitFor();
  await shot(page, 'session-agent-asks.png');
  await page.locator('.terminal-host').first().click();
  const idle = badge(card, 'idle');
  let answers = 0;
  const deadline = Date.now() + TURN_MS;
  while ((await idle.count()) === 0) {
    if (Date.now() > deadline) {
      await shot(page, 'session-agent-asks-timeout.png');
      throw new Error(`the agent was not idle after ${answers} answers:\n${await screen.textContent()}`);
    }
    const before = (await screen.textContent()) ?? '';
    if (before.includes('Do you want to')) {
      await page.keyboard.press('Enter');
      answers += 1;
      // Until the question is answered (the screen changes), not a second Enter for the same one.
      await expect
        .poll(async () => (await screen.textContent()) !== before, { timeout: 10_000 })
        .toBe(true)
        .catch(() => undefined);
    } else {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  expect(answers).toBeGreaterThanOrEqual(2);
  await shot(page, 'session-agent-answered.png');

  // Live on the dashboard: the mark is gone, the agent idle, its work counted.
  await mark.waitFor({ state: 'detached' });
  await board.getByRole('button', { name: 'Needs me 0' }).waitFor();
  await card.locator('.diff-stat', { hasText: '+2 −0 in 2 files' }).waitFor({ timeout: WAIT });
  expect(await card.locator('.session-task').textContent()).toBe(TASK);
  await shot(board, 'dashboard-answered.png');
  const seen = await statesSeen(board, 'e2e-ask');
  expect(seen.indexOf('agent needs input')).toBeGreaterThanOrEqual(0);
  expect(seen.indexOf('agent needs input')).toBeLessThan(seen.lastIndexOf('agent idle'));
  expectTheConversation(api);
  expect(await egressTried(board, 'e2e-ask')).toEqual([]);
  expect(pageErrors).toEqual([]);
});
