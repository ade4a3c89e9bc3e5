import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { type ScriptedAnthropic, scriptedAnthropic, userTexts } from '@berth/testkit/model-api/anthropic';
import { geminiUserTexts, scriptedGemini } from '@berth/testkit/model-api/gemini';
import {
  inputTexts,
  type ScriptedResponses,
  scriptedResponses,
} from '@berth/testkit/model-api/openai-responses';
import type { RecordedRequest } from '@berth/testkit/model-api/recording-server';
import { type RefusingProxy, refusingProxy } from '@berth/testkit/model-api/refusing-proxy';
import type { ScriptedTurn } from '@berth/testkit/model-api/script';
import { beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { type AgentSeed, agentSeed, type SeedInput, shellQuote } from '../src/agents/agent-seeds.js';
import {
  AGENTS_BIN,
  AGENTS_CACHE,
  ensureAgentsInstalled,
  giveToAgent,
  runAgent,
  TmuxAgent,
  until,
  writeSeed,
} from './real-agents/host-agents.js';

// The real Claude Code and Codex binaries, pinned, on this host (not in a session): each one
// seeded by agent-seeds, against a scripted model API on loopback, with a proxy that refuses
// and records any other destination. Sessions run them as uid 1000 with HOME=/home/berth in
// /workspace; here HOME and the project are temp dirs (trust is keyed by the project's path).

const ANTHROPIC_KEY = 'sk-ant-api03-scripted-0123456789-abcdefghijKLMNOPQRST';
const OPENAI_KEY = 'sk-proj-scripted-0123456789-abcdefghijKLMNOPQRST';
const FIRST_PROMPT = 'Create hello.txt saying hello, then record that the command ran.';
const SECOND_PROMPT = 'Now say what you did before.';
const THIRD_PROMPT = 'After the restart: what was your work?';

/** A project, a HOME and a secrets dir, the agent user's own, under the cache (Codex refuses helpers under /tmp). */
function agentDirs() {
  const runs = join(AGENTS_CACHE, 'runs');
  mkdirSync(runs, { recursive: true });
  const root = mkdtempSync(join(runs, 'run-'));
  // An agent that was just killed may still be writing its state: retry.
  onTestFinished(() => rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 }));
  const dirs = {
    root,
    home: join(root, 'home'),
    project: join(root, 'project'),
    secrets: join(root, 'secrets'),
  };
  for (const d of [dirs.home, dirs.project, dirs.secrets]) mkdirSync(d);
  spawnSync('git', ['init', '-q', '-b', 'main', dirs.project]);
  writeFileSync(join(dirs.project, 'README.md'), '# scripted\n');
  return dirs;
}

async function openProxy(): Promise<RefusingProxy> {
  const proxy = await refusingProxy();
  onTestFinished(() => proxy.close());
  return proxy;
}

/** Only what the agent needs: no key of the host's, nothing inherited but PATH's Node. */
function agentEnv(home: string, seed: AgentSeed, proxy: RefusingProxy, extra: Record<string, string> = {}) {
  return {
    PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
    HOME: home,
    USER: 'berth',
    TERM: 'xterm-256color',
    LANG: 'C.UTF-8',
    ...seed.env,
    HTTPS_PROXY: proxy.url,
    HTTP_PROXY: proxy.url,
    https_proxy: proxy.url,
    http_proxy: proxy.url,
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
    ...extra,
  };
}

function paths(reqs: RecordedRequest[]): string[] {
  return [...new Set(reqs.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname}`))].sort();
}

type Launch = { cwd: string; env: Record<string, string>; socketDir: string };

/** Starts the agent's TUI on the first prompt and waits until the script's two turns are done. */
async function startOnTask(argv: string[], opts: Launch, turnsUsed: () => number): Promise<TmuxAgent> {
  const tui = await TmuxAgent.start([...argv, FIRST_PROMPT], opts);
  onTestFinished(() => tui.kill());
  await until(
    async () => turnsUsed() === 2 && (await tui.screen()).includes('All done: hello.txt is there.'),
    60_000,
    () => tui.screen(),
  );
  expect(readFileSync(join(opts.cwd, 'hello.txt'), 'utf8')).toBe('hello from the script\n');
  expect(existsSync(join(opts.cwd, 'ran.txt'))).toBe(true);
  return tui;
}

/** Types a prompt into the agent's terminal and waits for the scripted answer on its screen. */
async function ask(tui: TmuxAgent, prompt: string, answer: string): Promise<void> {
  await tui.type(prompt);
  let enters = 1;
  const started = Date.now();
  await until(
    async () => {
      if ((await tui.screen()).includes(answer)) return true;
      // An Enter a TUI still counted as part of the paste leaves the prompt in its input; one
      // more submits it (an Enter in an empty input does nothing in any of them).
      if (enters < 2 && Date.now() - started > 5_000) {
        enters++;
        await tui.send('Enter');
      }
      return false;
    },
    30_000,
    () => tui.screen(),
  );
}

/**
 * A restart: the agent's process ends and its resume command runs; it must show the earlier
 * conversation and answer the third prompt. Returns the index of the resumed agent's first request.
 */
async function restartAndAsk(
  tui: TmuxAgent,
  resumeArgv: string[],
  opts: Launch,
  requestsSoFar: () => number,
): Promise<number> {
  await tui.kill();
  const before = requestsSoFar();
  const resumed = await TmuxAgent.start(resumeArgv, opts);
  onTestFinished(() => resumed.kill());
  await until(
    async () => (await resumed.screen()).includes('Before, I wrote hello.txt.'),
    30_000,
    () => resumed.screen(),
  );
  await ask(resumed, THIRD_PROMPT, 'Resumed: hello.txt was my work.');
  return before;
}

const CLAUDE_DIALOGS = [
  /trust this folder/i,
  /Detected a custom API key/i,
  /Choose the text style/i,
  /Yes, I accept/i,
];
const CODEX_DIALOGS = [/Sign in with ChatGPT/i, /Trust this folder/i, /Would you like to run/i];

beforeAll(async () => {
  await ensureAgentsInstalled();
}, 600_000);

// Every wait is bounded by `until`; a test takes 5-30 s alone, more on a loaded machine.
describe('Claude Code, seeded', { timeout: 150_000 }, () => {
  function claudeTurns(project: string): ScriptedTurn[] {
    return [
      {
        text: 'Writing the file.',
        toolCalls: [
          {
            name: 'Write',
            input: { file_path: join(project, 'hello.txt'), content: 'hello from the script\n' },
          },
          { name: 'Bash', input: { command: 'echo ran > ran.txt', description: 'Record the run' } },
        ],
      },
      { text: 'All done: hello.txt is there.' },
      { text: 'Before, I wrote hello.txt.' },
      { text: 'Resumed: hello.txt was my work.' },
    ];
  }

  async function setUp(input: Partial<SeedInput> = {}) {
    const dirs = agentDirs();
    const api = await scriptedAnthropic({ turns: claudeTurns(dirs.project) });
    onTestFinished(() => api.close());
    const proxy = await openProxy();
    const keyFile = join(dirs.secrets, 'ANTHROPIC_API_KEY');
    writeFileSync(keyFile, ANTHROPIC_KEY, { mode: 0o400 });
    const seed = agentSeed('claude', {
      home: dirs.home,
      workspace: dirs.project,
      baseUrl: api.url,
      apiKey: { env: 'ANTHROPIC_API_KEY', file: keyFile },
      ...input,
    });
    writeSeed(seed);
    giveToAgent(dirs.root);
    // The key comes through apiKeyHelper only: ANTHROPIC_API_KEY is not in the environment.
    return { dirs, api, proxy, seed, env: agentEnv(dirs.home, seed, proxy) };
  }

  function expectOnlyTheScriptedApi(api: ScriptedAnthropic, proxy: RefusingProxy) {
    expect(proxy.attempts).toEqual([]);
    expect(paths(api.requests).every((p) => p === 'POST /v1/messages' || p === 'HEAD /')).toBe(true);
    for (const r of api.requests) expect(r.headers['x-api-key']).toBe(ANTHROPIC_KEY);
  }

  test('claude -p writes the file, runs the command and sends only the prompt and key to the scripted API; --continue carries the conversation', async () => {
    const { dirs, api, proxy, seed, env } = await setUp();
    const claude = join(AGENTS_BIN, 'claude');

    const first = await runAgent([claude, ...seed.args, '-p', FIRST_PROMPT], { cwd: dirs.project, env });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('All done');
    expect(readFileSync(join(dirs.project, 'hello.txt'), 'utf8')).toBe('hello from the script\n');
    expect(readFileSync(join(dirs.project, 'ran.txt'), 'utf8')).toBe('ran\n');
    const [opening] = api.conversation();
    expect(opening && userTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expect(api.turnsUsed()).toBe(2);

    const before = api.conversation().length;
    const second = await runAgent([claude, ...seed.args, '--continue', '-p', SECOND_PROMPT], {
      cwd: dirs.project,
      env,
    });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Before, I wrote hello.txt.');
    const resumed = api.conversation()[before];
    if (!resumed) throw new Error('the resumed claude made no request');
    const texts = userTexts(resumed);
    expect(texts.some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expect(texts.some((t) => t.includes(SECOND_PROMPT))).toBe(true);
    // The earlier tool call and its result travel with it.
    expect(resumed.raw).toContain('"tool_use"');
    expect(resumed.raw).toContain('"tool_result"');
    expect(resumed.raw).toContain('All done: hello.txt is there.');
    expectOnlyTheScriptedApi(api, proxy);
  });

  test('the interactive claude starts on its task with no keystroke, answers no first-run dialog and ends at its prompt', async () => {
    const { dirs, api, proxy, seed, env } = await setUp();
    const launch = { cwd: dirs.project, env, socketDir: dirs.root };
    const tui = await startOnTask([join(AGENTS_BIN, 'claude'), ...seed.args], launch, () => api.turnsUsed());
    const screen = await tui.screen();
    for (const dialog of CLAUDE_DIALOGS) expect(screen).not.toMatch(dialog);
    expect(screen).toContain('bypass permissions on');
    expect(await tui.alive()).toBe(true);
    const [opening] = api.conversation();
    expect(opening && userTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expectOnlyTheScriptedApi(api, proxy);

    // A second prompt typed into its terminal is a second turn of the same conversation.
    await ask(tui, SECOND_PROMPT, 'Before, I wrote hello.txt.');
    const last = api.conversation().at(-1);
    expect(last && userTexts(last).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expect(last && userTexts(last).some((t) => t.includes(SECOND_PROMPT))).toBe(true);

    // A restart: the process ends and the session's resume command (`claude --continue`) runs.
    const before = await restartAndAsk(
      tui,
      [join(AGENTS_BIN, 'claude'), ...seed.args, '--continue'],
      launch,
      () => api.conversation().length,
    );
    const after = api.conversation()[before];
    if (!after) throw new Error('the resumed claude made no request');
    for (const prompt of [FIRST_PROMPT, SECOND_PROMPT, THIRD_PROMPT]) {
      expect(userTexts(after).some((t) => t.includes(prompt))).toBe(true);
    }
    expect(after.raw).toContain('"tool_result"');
    expectOnlyTheScriptedApi(api, proxy);
  });

  test('exported as well as read by its helper, the key brings back the "use this API key?" question: the launcher withholds it', async () => {
    const { dirs, api, seed, env } = await setUp();
    expect(seed.withheldEnv).toEqual(['ANTHROPIC_API_KEY']);
    const tui = await TmuxAgent.start([join(AGENTS_BIN, 'claude'), ...seed.args, FIRST_PROMPT], {
      cwd: dirs.project,
      env: { ...env, ANTHROPIC_API_KEY: ANTHROPIC_KEY },
      socketDir: dirs.root,
    });
    onTestFinished(() => tui.kill());
    await until(
      async () => /Detected a custom API key/.test(await tui.screen()),
      30_000,
      () => tui.screen(),
    );
    expect(api.conversation()).toEqual([]);
  });

  test('with autonomy ask, the interactive claude asks before it writes or runs anything, and goes on once answered', async () => {
    const { dirs, api, seed, env } = await setUp({ autonomy: 'ask' });
    expect(seed.args).toContain('default');
    const tui = await TmuxAgent.start([join(AGENTS_BIN, 'claude'), ...seed.args, FIRST_PROMPT], {
      cwd: dirs.project,
      env,
      socketDir: dirs.root,
    });
    onTestFinished(() => tui.kill());

    const asking = async () => /Do you want to/.test(await tui.screen());
    await until(asking, 60_000, () => tui.screen());
    expect(existsSync(join(dirs.project, 'hello.txt'))).toBe(false);
    expect(existsSync(join(dirs.project, 'ran.txt'))).toBe(false);
    expect(api.turnsUsed()).toBe(1);

    // Answered through its terminal, as `berth attach` would: option 1 is "Yes", once per tool.
    let answers = 0;
    await until(
      async () => {
        if (existsSync(join(dirs.project, 'ran.txt'))) return true;
        if (await asking()) {
          await tui.send('Enter');
          answers += 1;
          await new Promise((r) => setTimeout(r, 500));
        }
        return false;
      },
      60_000,
      () => tui.screen(),
    );
    expect(answers).toBeGreaterThanOrEqual(1);
    expect(readFileSync(join(dirs.project, 'hello.txt'), 'utf8')).toBe('hello from the script\n');
    await until(
      async () => (await tui.screen()).includes('All done: hello.txt is there.'),
      30_000,
      () => tui.screen(),
    );
  });

  test('without the seed, the interactive claude stops at its first-run screen before any model request', async () => {
    const dirs = agentDirs();
    const api = await scriptedAnthropic({ turns: claudeTurns(dirs.project) });
    onTestFinished(() => api.close());
    const proxy = await openProxy();
    giveToAgent(dirs.root);
    const bare: AgentSeed = { files: [], args: [], env: { ANTHROPIC_BASE_URL: api.url }, withheldEnv: [] };
    const env = agentEnv(dirs.home, bare, proxy, { ANTHROPIC_API_KEY: ANTHROPIC_KEY });
    // In a pty of its own (util-linux script): the welcome screen checks the vendor's API first.
    const command = [join(AGENTS_BIN, 'claude'), FIRST_PROMPT].map(shellQuote).join(' ');
    const run = await runAgent(['script', '-qfec', command, '/dev/null'], {
      cwd: dirs.project,
      env,
      timeoutMs: 30_000,
    });
    expect(run.code).not.toBe(0);
    // Without its escape sequences (ESC built from its code: a literal one trips the linter).
    const text = run.stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g'), '');
    expect(text).toMatch(/Unable\s*to\s*connect\s*to\s*Anthropic\s*services/);
    expect(api.requests).toEqual([]);
    expect(proxy.hosts()).toContain('api.anthropic.com');
    expect(existsSync(join(dirs.project, 'hello.txt'))).toBe(false);
  });
});

describe('Codex, seeded', { timeout: 150_000 }, () => {
  // An older model than the default: it offers `exec_command` as a plain function tool,
  // where the default model's code mode wants JavaScript for a freeform `exec`.
  const MODEL = 'gpt-5.2';
  const turns: ScriptedTurn[] = [
    {
      text: 'Writing the file.',
      toolCalls: [
        { name: 'exec_command', input: { cmd: "printf 'hello from the script\\n' > hello.txt" } },
        { name: 'exec_command', input: { cmd: 'echo ran > ran.txt' } },
      ],
    },
    { text: 'All done: hello.txt is there.' },
    { text: 'Before, I wrote hello.txt.' },
    { text: 'Resumed: hello.txt was my work.' },
  ];

  async function setUp(input: Partial<SeedInput> = {}, script: ScriptedTurn[] = turns) {
    const dirs = agentDirs();
    const api = await scriptedResponses({ turns: script });
    onTestFinished(() => api.close());
    const proxy = await openProxy();
    const seed = agentSeed('codex', {
      home: dirs.home,
      workspace: dirs.project,
      baseUrl: `${api.url}/v1`,
      apiKey: { env: 'OPENAI_API_KEY' },
      model: MODEL,
      ...input,
    });
    writeSeed(seed);
    giveToAgent(dirs.root);
    return { dirs, api, proxy, seed, env: agentEnv(dirs.home, seed, proxy, { OPENAI_API_KEY: OPENAI_KEY }) };
  }

  function expectTheKey(api: ScriptedResponses) {
    expect(paths(api.requests)).toEqual(['POST /v1/responses']);
    for (const r of api.requests) expect(r.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
  }

  test('codex exec writes the file, runs the command and sends only the prompt and key to the scripted API; exec resume --last carries the conversation', async () => {
    const { dirs, api, proxy, seed, env } = await setUp();
    const codex = join(AGENTS_BIN, 'codex');

    // --strict-config: every key the seed writes is one this Codex knows.
    const first = await runAgent([codex, ...seed.args, 'exec', '--strict-config', FIRST_PROMPT], {
      cwd: dirs.project,
      env,
    });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('All done');
    expect(first.stderr).toContain('approval: never');
    expect(first.stderr).toContain('sandbox: danger-full-access');
    expect(readFileSync(join(dirs.project, 'hello.txt'), 'utf8')).toBe('hello from the script\n');
    expect(readFileSync(join(dirs.project, 'ran.txt'), 'utf8')).toBe('ran\n');
    const [opening] = api.conversation();
    expect(opening && inputTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);

    const before = api.conversation().length;
    const second = await runAgent([codex, ...seed.args, 'exec', 'resume', '--last', SECOND_PROMPT], {
      cwd: dirs.project,
      env,
    });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Before, I wrote hello.txt.');
    const resumed = api.conversation()[before];
    if (!resumed) throw new Error('the resumed codex made no request');
    const texts = inputTexts(resumed);
    expect(texts.some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expect(texts.some((t) => t.includes(SECOND_PROMPT))).toBe(true);
    expect(texts).toContain('All done: hello.txt is there.');
    expect(resumed.raw).toContain('"function_call_output"');
    expectTheKey(api);
    expect(proxy.attempts).toEqual([]);
  });

  test('the interactive codex starts on its task with no keystroke, answers no first-run dialog and ends at its prompt', async () => {
    const { dirs, api, proxy, seed, env } = await setUp();
    const launch = { cwd: dirs.project, env, socketDir: dirs.root };
    const tui = await startOnTask([join(AGENTS_BIN, 'codex'), ...seed.args], launch, () => api.turnsUsed());
    const screen = await tui.screen();
    for (const dialog of CODEX_DIALOGS) expect(screen).not.toMatch(dialog);
    expect(screen).toContain('YOLO mode');
    expect(await tui.alive()).toBe(true);
    expectTheKey(api);
    // Its thread title comes from a side request without tools: not a turn of the script.
    expect(api.requests.length).toBeGreaterThan(api.conversation().length);
    // The TUI fetches an announcement from the vendor's git host at each start; no setting
    // turns that off in 0.171. Refused here (and by the machine); nothing else is attempted.
    expect(proxy.hosts().filter((h) => h !== 'raw.githubusercontent.com')).toEqual([]);

    // A second prompt typed into its terminal is a second turn of the same conversation.
    await ask(tui, SECOND_PROMPT, 'Before, I wrote hello.txt.');
    const last = api.conversation().at(-1);
    expect(last && inputTexts(last).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expect(last && inputTexts(last).some((t) => t.includes(SECOND_PROMPT))).toBe(true);

    // A restart: the process ends and the session's resume command (`codex resume --last`) runs.
    const before = await restartAndAsk(
      tui,
      [join(AGENTS_BIN, 'codex'), ...seed.args, 'resume', '--last'],
      launch,
      () => api.conversation().length,
    );
    const after = api.conversation()[before];
    if (!after) throw new Error('the resumed codex made no request');
    for (const prompt of [FIRST_PROMPT, SECOND_PROMPT, THIRD_PROMPT]) {
      expect(inputTexts(after).some((t) => t.includes(prompt))).toBe(true);
    }
    expect(after.raw).toContain('"function_call_output"');
    expect(proxy.hosts().filter((h) => h !== 'raw.githubusercontent.com')).toEqual([]);
  });

  test('with autonomy ask, the interactive codex asks before a command that wants more than its sandbox', async () => {
    const escalating: ScriptedTurn[] = [
      {
        text: 'Recording.',
        toolCalls: [
          {
            name: 'exec_command',
            input: {
              cmd: 'echo ran > ran.txt',
              sandbox_permissions: 'require_escalated',
              justification: 'May I record that it ran?',
            },
          },
        ],
      },
      { text: 'All done: hello.txt is there.' },
    ];
    const { dirs, api, seed, env } = await setUp({ autonomy: 'ask' }, escalating);
    const tui = await TmuxAgent.start([join(AGENTS_BIN, 'codex'), ...seed.args, FIRST_PROMPT], {
      cwd: dirs.project,
      env,
      socketDir: dirs.root,
    });
    onTestFinished(() => tui.kill());

    await until(
      async () => /Would you like to run the following command\?/.test(await tui.screen()),
      60_000,
      () => tui.screen(),
    );
    expect(await tui.screen()).toContain('May I record that it ran?');
    expect(existsSync(join(dirs.project, 'ran.txt'))).toBe(false);
    expect(api.turnsUsed()).toBe(1);

    await tui.send('y');
    await until(
      () => existsSync(join(dirs.project, 'ran.txt')),
      30_000,
      () => tui.screen(),
    );
    await until(
      async () => (await tui.screen()).includes('All done: hello.txt is there.'),
      30_000,
      () => tui.screen(),
    );
  });

  test('without the seed, the interactive codex stops at its folder-trust question before any model request', async () => {
    const dirs = agentDirs();
    const api = await scriptedResponses({ turns });
    onTestFinished(() => api.close());
    const proxy = await openProxy();
    // Only a provider (without one it would stop at its login screen instead).
    mkdirSync(join(dirs.home, '.codex'));
    writeFileSync(
      join(dirs.home, '.codex/config.toml'),
      [
        `model = "${MODEL}"`,
        'model_provider = "scripted"',
        '[model_providers.scripted]',
        'name = "scripted"',
        `base_url = "${api.url}/v1"`,
        'env_key = "OPENAI_API_KEY"',
        'wire_api = "responses"',
        '',
      ].join('\n'),
    );
    giveToAgent(dirs.root);
    const bare: AgentSeed = { files: [], args: [], env: {}, withheldEnv: [] };
    const env = agentEnv(dirs.home, bare, proxy, { OPENAI_API_KEY: OPENAI_KEY });
    const tui = await TmuxAgent.start([join(AGENTS_BIN, 'codex'), '--no-daemon', FIRST_PROMPT], {
      cwd: dirs.project,
      env,
      socketDir: dirs.root,
    });
    onTestFinished(() => tui.kill());

    await until(
      async () => /Trust this folder\?/.test(await tui.screen()),
      30_000,
      () => tui.screen(),
    );
    expect(api.requests).toEqual([]);
    expect(existsSync(join(dirs.project, 'hello.txt'))).toBe(false);
    // Unseeded, it also tries its update check, analytics and plugins (refused here), each
    // started in the background at its own pace: what was attempted by now varies.
    expect(proxy.hosts().length).toBeGreaterThan(0);
  });
});

// opencode is slow to start on a busy machine (20-45 s a run on two shared cores).
describe('opencode, seeded', { timeout: 300_000 }, () => {
  test('opencode run writes the file, runs the command with the key from its file; run --continue carries the conversation', async () => {
    const dirs = agentDirs();
    const api = await scriptedAnthropic({
      turns: [
        {
          text: 'Writing the file.',
          toolCalls: [
            {
              name: 'write',
              input: { filePath: join(dirs.project, 'hello.txt'), content: 'hello from the script\n' },
            },
            { name: 'bash', input: { command: 'echo ran > ran.txt', description: 'Record the run' } },
          ],
        },
        { text: 'All done: hello.txt is there.' },
        { text: 'Before, I wrote hello.txt.' },
      ],
    });
    onTestFinished(() => api.close());
    const proxy = await openProxy();
    const keyFile = join(dirs.secrets, 'ANTHROPIC_API_KEY');
    writeFileSync(keyFile, ANTHROPIC_KEY, { mode: 0o400 });
    const seed = agentSeed('opencode', {
      home: dirs.home,
      workspace: dirs.project,
      baseUrl: `${api.url}/v1`,
      apiKey: { env: 'ANTHROPIC_API_KEY', file: keyFile },
      model: 'anthropic/claude-sonnet-4-5',
    });
    writeSeed(seed);
    giveToAgent(dirs.root);
    const env = agentEnv(dirs.home, seed, proxy);
    const opencode = join(AGENTS_BIN, 'opencode');

    const first = await runAgent([opencode, 'run', ...seed.args, FIRST_PROMPT], {
      cwd: dirs.project,
      env,
      timeoutMs: 140_000,
    });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('All done');
    expect(readFileSync(join(dirs.project, 'hello.txt'), 'utf8')).toBe('hello from the script\n');
    expect(readFileSync(join(dirs.project, 'ran.txt'), 'utf8')).toBe('ran\n');
    const [opening] = api.conversation();
    expect(opening && userTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);

    const before = api.conversation().length;
    const second = await runAgent([opencode, 'run', ...seed.args, '--continue', SECOND_PROMPT], {
      cwd: dirs.project,
      env,
      timeoutMs: 140_000,
    });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Before, I wrote hello.txt.');
    const resumed = api.conversation()[before];
    if (!resumed) throw new Error('the continued opencode made no request');
    expect(userTexts(resumed).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expect(userTexts(resumed).some((t) => t.includes(SECOND_PROMPT))).toBe(true);
    expect(resumed.raw).toContain('"tool_result"');

    expect(paths(api.requests)).toEqual(['POST /v1/messages']);
    for (const r of api.requests) expect(r.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    // Besides the model API it only tries npm's registry: a background install of its plugin
    // package into ~/.config/opencode, with no setting found to stop it (refused here).
    const registry = new URL(
      spawnSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).stdout.trim(),
    );
    expect(proxy.hosts().filter((h) => h !== registry.hostname)).toEqual([]);
  });
});

describe('Gemini CLI, seeded', { timeout: 200_000 }, () => {
  // A pinned model: with the default "auto" it first asks a small model to route each prompt.
  const MODEL = 'gemini-2.5-flash';
  const GEMINI_KEY = 'AIzaScripted-0123456789-abcdefghijKLMNOP';

  async function setUp() {
    const dirs = agentDirs();
    const api = await scriptedGemini({
      turns: [
        {
          text: 'Writing the file.',
          toolCalls: [
            {
              name: 'write_file',
              input: { file_path: join(dirs.project, 'hello.txt'), content: 'hello from the script\n' },
            },
            {
              name: 'run_shell_command',
              input: { command: 'echo ran > ran.txt', description: 'Record the run' },
            },
          ],
        },
        { text: 'All done: hello.txt is there.' },
        { text: 'Before, I wrote hello.txt.' },
      ],
    });
    onTestFinished(() => api.close());
    const proxy = await openProxy();
    const seed = agentSeed('gemini', {
      home: dirs.home,
      workspace: dirs.project,
      baseUrl: api.url,
      apiKey: { env: 'GEMINI_API_KEY' },
      model: MODEL,
    });
    writeSeed(seed);
    giveToAgent(dirs.root);
    return { dirs, api, proxy, seed, env: agentEnv(dirs.home, seed, proxy, { GEMINI_API_KEY: GEMINI_KEY }) };
  }

  test('gemini -p writes the file, runs the command and sends only the prompt and key to the scripted API; --resume latest carries the conversation', async () => {
    const { dirs, api, proxy, seed, env } = await setUp();
    const gemini = join(AGENTS_BIN, 'gemini');

    const first = await runAgent([gemini, ...seed.args, '-p', FIRST_PROMPT], { cwd: dirs.project, env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('All done');
    expect(readFileSync(join(dirs.project, 'hello.txt'), 'utf8')).toBe('hello from the script\n');
    expect(readFileSync(join(dirs.project, 'ran.txt'), 'utf8')).toBe('ran\n');
    const [opening] = api.conversation();
    expect(opening && geminiUserTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);

    const before = api.conversation().length;
    const second = await runAgent([gemini, ...seed.args, '--resume', 'latest', '-p', SECOND_PROMPT], {
      cwd: dirs.project,
      env,
    });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('Before, I wrote hello.txt.');
    const resumed = api.conversation()[before];
    if (!resumed) throw new Error('the resumed gemini made no request');
    expect(geminiUserTexts(resumed).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expect(geminiUserTexts(resumed).some((t) => t.includes(SECOND_PROMPT))).toBe(true);
    expect(resumed.raw).toContain('"functionResponse"');

    for (const r of api.requests) {
      expect(new URL(r.url, 'http://x').pathname).toBe(`/v1beta/models/${MODEL}:streamGenerateContent`);
      expect(r.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    }
    expect(proxy.attempts).toEqual([]);
  });

  test('the interactive gemini starts on its task with no keystroke and ends at its prompt', async () => {
    const { dirs, api, proxy, seed, env } = await setUp();
    const tui = await TmuxAgent.start(
      [join(AGENTS_BIN, 'gemini'), ...seed.args, '--prompt-interactive', FIRST_PROMPT],
      { cwd: dirs.project, env, socketDir: dirs.root },
    );
    onTestFinished(() => tui.kill());
    await until(
      async () => api.turnsUsed() === 2 && (await tui.screen()).includes('All done: hello.txt is there.'),
      90_000,
      () => tui.screen(),
    );
    expect(existsSync(join(dirs.project, 'ran.txt'))).toBe(true);
    const screen = await tui.screen();
    expect(screen).toContain('YOLO');
    expect(screen).not.toMatch(/Do you trust this folder/i);
    expect(await tui.alive()).toBe(true);
    expect(proxy.attempts).toEqual([]);
  });
});
