import { writeFileSync } from 'node:fs';
import type { WaitableState } from '@berth/api';
import {
  agentCore,
  BUSYBOX_IMAGE,
  capture,
  containersOf,
  docker,
  makeRepo,
  tarOf,
  volumesOf,
} from '@berth/testkit';
import { type ScriptedAnthropic, scriptedAnthropic, userTexts } from '@berth/testkit/model-api/anthropic';
import { geminiUserTexts, scriptedGemini } from '@berth/testkit/model-api/gemini';
import {
  inputTexts,
  type ScriptedResponses,
  scriptedResponses,
} from '@berth/testkit/model-api/openai-responses';
import type { ScriptedTurn } from '@berth/testkit/model-api/script';
import {
  egressTried,
  recordStatuses,
  SESSION_IMAGE,
  sessionGateway,
  sessionProxy,
  writeAndRunTurns,
} from '@berth/testkit/session-agents';
import { describe, expect, onTestFinished, test, vi } from 'vitest';

// The real Claude Code and Codex, from berth's agents volume, in real sessions of berth's own
// image: dispatched on a task with nobody at their terminal, against scripted model APIs on
// this host (the session network's gateway). Sessions with a key are filtered (berth's default):
// the agent reaches only the key broker, which forwards to the scripted API, and whatever else
// it tries is in berth's egress log. Sessions with a login are unfiltered, with a proxy that
// refuses and records any destination but the scripted API. berth seeds their first-run answers
// and status signals; these tests read only what berth itself reports (agentStatus, diff, egress)
// and what the scripted API received.

const ANTHROPIC_KEY = 'sk-ant-api03-session-0123456789-abcdefghijKLMNOPQRST';
const OPENAI_KEY = 'sk-proj-session-0123456789-abcdefghijKLMNOPQRST';
const FIRST_PROMPT = 'Create hello.txt saying hello, then record that the command ran.';
const SECOND_PROMPT = 'Now say what you did before.';
const THIRD_PROMPT = 'After the restart: what was your work?';
/** Starting the agent and one scripted turn; generous for a loaded two-core machine. */
const TURN_MS = 120_000;

/** Settings on built-in profiles, as a user puts them in the config file (read at each create). */
function configure(core: Core, agents: Record<string, unknown>) {
  writeFileSync(core.config.configFile, JSON.stringify({ agents }));
}

/** Waits for the agent to reach `state` (berth's own view: agentStatus). */
type Core = Awaited<ReturnType<typeof agentCore>>;

async function reach(core: Core, name: string, state: WaitableState) {
  const s = await core.service.get(name);
  const out = await core.agents.waitFor(s, [state], TURN_MS);
  if (out.reached !== state) {
    throw new Error(`${name} did not become ${state} (${out.reached}):\n${await capture(core, name)}`);
  }
  return out.session;
}

/**
 * What the agent's first turn must have left: the file and the command's output, seen by `berth
 * diff`. Polled for a while: an agent may end its turn on a command still running (Codex hands a
 * slow command back as "still running" and goes on), so idle can come before the file. When it
 * never comes, the failure shows what the agent's tools answered (`told`).
 */
async function expectTheWork(core: Core, name: string, told: () => string[] = () => []) {
  const done = (diff: string) =>
    diff.includes('hello.txt') && diff.includes('+hello from the script') && diff.includes('+ran');
  await vi.waitFor(
    async () => {
      const { diff } = await core.service.diff(name);
      if (!done(diff)) {
        throw new Error(
          `the work is not in the diff:\n${diff}\nthe tools answered:\n${told().join('\n---\n')}`,
        );
      }
    },
    { timeout: 30_000, interval: 100 },
  );
}

describe('Claude Code in a session', { timeout: 420_000 }, () => {
  const turns = writeAndRunTurns('claude');

  async function setUp(script: ScriptedTurn[] = turns) {
    const core = await agentCore();
    const gateway = await sessionGateway(core);
    const api: ScriptedAnthropic = await scriptedAnthropic({ turns: script, host: gateway });
    onTestFinished(() => api.close());
    // The base URL through the built-in profile's settings: it stays Claude Code, seeded. The
    // broker sends there; the session itself is filtered and reaches only the broker.
    configure(core, { claude: { env: { ANTHROPIC_BASE_URL: api.url } } });
    // As `berth auth setup claude` stores it.
    await core.agents.credentials.put('claude', { keys: { ANTHROPIC_API_KEY: ANTHROPIC_KEY } });
    return { core, api };
  }

  test('dispatched on a task it writes the file unattended (working, then idle); a sent prompt is a second turn; after a restart it carries the conversation', async () => {
    const { core, api } = await setUp();
    const statuses = recordStatuses(core, 'cc');
    const s = await core.service.create({
      name: 'cc',
      repo: makeRepo(),
      agent: 'claude',
      prompt: FIRST_PROMPT,
      image: SESSION_IMAGE,
    });
    expect(s).toMatchObject({ agentStatus: 'starting', agentStatusSource: 'signals', task: FIRST_PROMPT });
    await reach(core, 'cc', 'idle');
    await expect
      .poll(() => statuses.includes('working') && statuses.at(-1) === 'idle', {
        timeout: TURN_MS,
        interval: 100,
      })
      .toBe(true);
    expect(statuses.indexOf('working')).toBeLessThan(statuses.lastIndexOf('idle'));
    await expectTheWork(core, 'cc');
    // The scripted API got the task and the key berth stored, and nothing else was tried.
    const [opening] = api.conversation();
    expect(opening && userTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    for (const r of api.requests) expect(r.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    expect(await egressTried(core, 'cc')).toEqual([]);
    // The key is not in the container's configuration.
    const inspect = await docker.getContainer((await core.service.get('cc')).containerId!).inspect();
    expect(JSON.stringify(inspect)).not.toContain(ANTHROPIC_KEY);

    // `berth send`: the next prompt, a second turn of the same conversation.
    const turnsBefore = api.turnsUsed();
    await core.agents.send(await core.service.get('cc'), SECOND_PROMPT);
    expect((await core.service.get('cc')).agentStatus).toBe('working');
    await expect.poll(() => api.turnsUsed() > turnsBefore, { timeout: TURN_MS, interval: 100 }).toBe(true);
    await reach(core, 'cc', 'idle');
    const second = api.conversation().at(-1);
    expect(second && userTexts(second).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    expect(second && userTexts(second).some((t) => t.includes(SECOND_PROMPT))).toBe(true);

    // `berth restart`: the resumed agent (claude --continue) is idle, its next request carries it all.
    await core.service.restart('cc');
    await reach(core, 'cc', 'idle');
    const before = api.conversation().length;
    await core.agents.send(await core.service.get('cc'), THIRD_PROMPT);
    await expect
      .poll(() => api.conversation().length > before, { timeout: TURN_MS, interval: 100 })
      .toBe(true);
    const resumed = api.conversation()[before];
    for (const prompt of [FIRST_PROMPT, SECOND_PROMPT, THIRD_PROMPT]) {
      expect(resumed && userTexts(resumed).some((t) => t.includes(prompt))).toBe(true);
    }
    expect(resumed?.raw).toContain('"tool_result"');
    await reach(core, 'cc', 'idle');
    expect(await egressTried(core, 'cc')).toEqual([]);

    await core.service.cancel('cc');
    expect(await volumesOf(core.config.home)).toHaveLength(0);
  });

  test('with autonomy ask, a permission question is needs-input, and answering it through attach clears it', async () => {
    const { core } = await setUp();
    await core.service.create({
      name: 'ask',
      repo: makeRepo(),
      agent: 'claude',
      prompt: FIRST_PROMPT,
      image: SESSION_IMAGE,
      autonomy: 'ask',
    });
    await reach(core, 'ask', 'needs-input');
    expect((await core.service.exec('ask', ['test', '-e', 'hello.txt'])).exitCode).toBe(1);
    // Answered as a person would in `berth attach`: Enter takes option 1, "Yes" (once a tool).
    const term = await core.agents.attach(await core.service.get('ask'), { cols: 160, rows: 48 });
    onTestFinished(() => {
      term.stream.destroy();
    });
    await expect
      .poll(
        async () => {
          const s = await core.service.get('ask');
          if (s.agentStatus === 'idle') return true;
          if (s.agentStatus === 'needs-input') {
            term.stream.write('\r');
            await new Promise((r) => setTimeout(r, 1500));
          }
          return false;
        },
        { timeout: TURN_MS, interval: 100 },
      )
      .toBe(true);
    await expectTheWork(core, 'ask');
  });

  test('a prompt that starts with a dash is its task, never one of its options', async () => {
    const { core, api } = await setUp([{ text: 'That is a flag, not a task.' }]);
    const prompt = '--version';
    const s = await core.service.create({
      name: 'dash',
      repo: makeRepo(),
      agent: 'claude',
      prompt,
      image: SESSION_IMAGE,
    });
    // Taken as an option, Claude Code would print its version and end: exited, the API never asked.
    await reach(core, 'dash', 'idle');
    expect((await core.service.get(s.id)).agentStatus).toBe('idle');
    expect(api.conversation().flatMap(userTexts)).toContain(prompt);
  });

  test('is refused before anything is made without its key, on an image without tmux, or when its command is nowhere', async () => {
    const { core } = await setUp();
    await core.agents.credentials.delete('claude');
    await expect(
      core.service.create({
        name: 'nokey',
        repo: makeRepo(),
        agent: 'claude',
        prompt: 'x',
        image: SESSION_IMAGE,
      }),
    ).rejects.toMatchObject({ hint: expect.stringContaining('berth auth setup claude') });
    await core.agents.credentials.put('claude', { keys: { ANTHROPIC_API_KEY: ANTHROPIC_KEY } });
    // An image without tmux (and not glibc: the agents volume's claude would not run there).
    await expect(
      core.service.create({
        name: 'busy',
        repo: makeRepo(),
        agent: 'claude',
        prompt: 'x',
        image: BUSYBOX_IMAGE,
      }),
    ).rejects.toThrow(/no tmux/);
    // A profile whose command is neither in the image nor in berth's agents volume.
    configure(core, { ghost: { command: ['ghost-agent'], credentials: { required: false } } });
    await expect(
      core.service.create({
        name: 'ghost',
        repo: makeRepo(),
        agent: 'ghost',
        prompt: 'x',
        image: SESSION_IMAGE,
      }),
    ).rejects.toThrow(/ghost-agent/);
    expect(await core.service.list()).toEqual([]);
    expect(await containersOf(core.config.home)).toEqual([]);
    expect(await volumesOf(core.config.home)).toEqual([]);
  });
});

describe('Codex in a session', { timeout: 420_000 }, () => {
  // An older model than the default offers `exec_command` as a plain function tool.
  const MODEL = 'gpt-5.2';
  const turns = writeAndRunTurns('codex');

  test('dispatched on a task it writes the file unattended (working, then idle); a sent prompt is a second turn; after a restart it carries the conversation', async () => {
    const core = await agentCore();
    const gateway = await sessionGateway(core);
    const api: ScriptedResponses = await scriptedResponses({ turns, host: gateway });
    onTestFinished(() => api.close());
    configure(core, { codex: { model: MODEL, env: { OPENAI_BASE_URL: `${api.url}/v1` } } });
    await core.agents.credentials.put('codex', { keys: { OPENAI_API_KEY: OPENAI_KEY } });
    const statuses = recordStatuses(core, 'cx');
    await core.service.create({
      name: 'cx',
      repo: makeRepo(),
      agent: 'codex',
      prompt: FIRST_PROMPT,
      image: SESSION_IMAGE,
    });
    await reach(core, 'cx', 'idle');
    expect(statuses.indexOf('working')).toBeGreaterThanOrEqual(0);
    expect(statuses.indexOf('working')).toBeLessThan(statuses.lastIndexOf('idle'));
    await expectTheWork(core, 'cx', () => api.requests.flatMap(inputTexts));
    const [opening] = api.conversation();
    expect(opening && inputTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    for (const r of api.requests) expect(r.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    // Its TUI fetches an announcement from the vendor's git host at each start (no setting in 0.171).
    expect((await egressTried(core, 'cx')).filter((h) => h !== 'raw.githubusercontent.com')).toEqual([]);

    const turnsBefore = api.turnsUsed();
    await core.agents.send(await core.service.get('cx'), SECOND_PROMPT);
    await expect.poll(() => api.turnsUsed() > turnsBefore, { timeout: TURN_MS, interval: 100 }).toBe(true);
    await reach(core, 'cx', 'idle');
    const second = api.conversation().at(-1);
    expect(second && inputTexts(second).some((t) => t.includes(SECOND_PROMPT))).toBe(true);

    await core.service.restart('cx');
    await reach(core, 'cx', 'idle');
    const before = api.conversation().length;
    await core.agents.send(await core.service.get('cx'), THIRD_PROMPT);
    await expect
      .poll(() => api.conversation().length > before, { timeout: TURN_MS, interval: 100 })
      .toBe(true);
    const resumed = api.conversation()[before];
    for (const prompt of [FIRST_PROMPT, SECOND_PROMPT, THIRD_PROMPT]) {
      expect(resumed && inputTexts(resumed).some((t) => t.includes(prompt))).toBe(true);
    }
    await reach(core, 'cx', 'idle');
    await core.service.cancel('cx');
  });
});

describe('Gemini CLI in a session', { timeout: 420_000 }, () => {
  // Pinned: with "auto" it first asks a small model to route each prompt.
  const MODEL = 'gemini-2.5-flash';
  const GEMINI_KEY = 'AIzaSession-0123456789-abcdefghijKLMNOP';

  test('dispatched on a task it writes the file unattended and ends at its prompt (status: a guess)', async () => {
    const core = await agentCore();
    const gateway = await sessionGateway(core);
    const api = await scriptedGemini({
      host: gateway,
      turns: [
        {
          text: 'Writing the file.',
          toolCalls: [
            {
              name: 'write_file',
              input: { file_path: '/workspace/hello.txt', content: 'hello from the script\n' },
            },
            {
              name: 'run_shell_command',
              input: { command: 'echo ran > ran.txt', description: 'Record the run' },
            },
          ],
        },
        { text: 'All done: hello.txt is there.' },
      ],
    });
    onTestFinished(() => api.close());
    configure(core, { gemini: { model: MODEL, env: { GOOGLE_GEMINI_BASE_URL: api.url } } });
    await core.agents.credentials.put('gemini', { keys: { GEMINI_API_KEY: GEMINI_KEY } });
    const s = await core.service.create({
      name: 'gm',
      repo: makeRepo(),
      agent: 'gemini',
      prompt: FIRST_PROMPT,
      image: SESSION_IMAGE,
    });
    expect(s.agentStatusSource).toBe('guess');
    await expect
      .poll(async () => (await capture(core, 'gm')).includes('All done: hello.txt is there.'), {
        timeout: TURN_MS,
        interval: 100,
      })
      .toBe(true);
    await expectTheWork(core, 'gm');
    const [opening] = api.conversation();
    expect(opening && geminiUserTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    for (const r of api.requests) expect(r.headers['x-goog-api-key']).toBe(GEMINI_KEY);
    expect(await egressTried(core, 'gm')).toEqual([]);
    await reach(core, 'gm', 'idle');
  });
});

describe('opencode in a session', { timeout: 420_000 }, () => {
  test('dispatched on a task its TUI writes the file unattended, with the key from the file berth mounts', async () => {
    const core = await agentCore();
    const gateway = await sessionGateway(core);
    const api = await scriptedAnthropic({
      host: gateway,
      turns: [
        {
          text: 'Writing the file.',
          toolCalls: [
            {
              name: 'write',
              input: { filePath: '/workspace/hello.txt', content: 'hello from the script\n' },
            },
            { name: 'bash', input: { command: 'echo ran > ran.txt', description: 'Record the run' } },
          ],
        },
        { text: 'All done: hello.txt is there.' },
      ],
    });
    onTestFinished(() => api.close());
    configure(core, {
      opencode: { model: 'anthropic/claude-sonnet-4-5', env: { ANTHROPIC_BASE_URL: api.url } },
    });
    await core.agents.credentials.put('opencode', { keys: { ANTHROPIC_API_KEY: ANTHROPIC_KEY } });
    await core.service.create({
      name: 'oc',
      repo: makeRepo(),
      agent: 'opencode',
      prompt: FIRST_PROMPT,
      image: SESSION_IMAGE,
    });
    await expect.poll(() => api.conversation().length > 0, { timeout: TURN_MS, interval: 100 }).toBe(true);
    const [opening] = api.conversation();
    expect(opening && userTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    for (const r of api.conversation()) expect(r.headers['x-api-key']).toBe(ANTHROPIC_KEY);
    await expect
      .poll(
        async () => {
          const d = await core.service.diff('oc');
          return d.diff.includes('+hello from the script');
        },
        { timeout: TURN_MS, interval: 100 },
      )
      .toBe(true);
  });
});

describe('Claude Code with a subscription login', { timeout: 420_000 }, () => {
  const turns: ScriptedTurn[] = [{ text: 'Logged in and done.' }];

  async function setUp() {
    // A login talks to the vendor itself, not through the key broker; the scripted vendor is on
    // this machine, which a filtered session never reaches: these sessions are unfiltered.
    const core = await agentCore({}, undefined, { egressMode: 'off' });
    const gateway = await sessionGateway(core);
    const api = await scriptedAnthropic({ turns, host: gateway });
    onTestFinished(() => api.close());
    const { env, proxy } = await sessionProxy(gateway);
    configure(core, { claude: { env: { ANTHROPIC_BASE_URL: api.url } } });
    return { core, api, env, proxy };
  }

  test('the long-lived token of `claude setup-token` is what it sends', async () => {
    const { core, api, env, proxy } = await setUp();
    const token = 'sk-ant-oat01-session-0123456789-abcdefghijKLMNOPQRST';
    await core.agents.credentials.put('claude', { keys: { CLAUDE_CODE_OAUTH_TOKEN: token } });
    await core.service.create({
      name: 'tok',
      repo: makeRepo(),
      agent: 'claude',
      prompt: FIRST_PROMPT,
      image: SESSION_IMAGE,
      env,
    });
    await reach(core, 'tok', 'idle');
    const [opening] = api.conversation();
    expect(opening && userTexts(opening).some((t) => t.includes(FIRST_PROMPT))).toBe(true);
    for (const r of api.conversation()) expect(r.headers.authorization).toBe(`Bearer ${token}`);
    expect(proxy.hosts()).toEqual([]);
  });

  test('its ~/.claude login is used, and what the CLI writes back to it is kept for the next session', async () => {
    const { core, api, env } = await setUp();
    const login = (access: string) =>
      JSON.stringify({
        claudeAiOauth: {
          accessToken: access,
          refreshToken: `${access}-refresh`,
          expiresAt: Date.now() + 3_600_000,
          scopes: ['user:inference'],
          subscriptionType: 'pro',
        },
      });
    await core.agents.credentials.put('claude', {
      dir: await tarOf({ '.credentials.json': login('sk-ant-oat01-first') }),
    });
    await core.service.create({
      name: 'sub',
      repo: makeRepo(),
      agent: 'claude',
      prompt: FIRST_PROMPT,
      image: SESSION_IMAGE,
      env,
    });
    await reach(core, 'sub', 'idle');
    expect(api.conversation().length).toBeGreaterThan(0);
    for (const r of api.conversation()) expect(r.headers.authorization).toBe('Bearer sk-ant-oat01-first');
    // A refresh is the vendor's token endpoint, out of reach here: the CLI's write of the new
    // tokens into its login file is made by hand, as the agent's user, through the same path.
    const write = await core.service.exec('sub', [
      'sh',
      '-c',
      `printf '%s' '${login('sk-ant-oat01-second')}' > /home/berth/.claude/.credentials.json`,
    ]);
    expect(write.exitCode).toBe(0);
    await core.service.cancel('sub');
    const entries = await core.agents.credentials.dirEntries('claude');
    expect(entries?.find((e) => e.name === '.credentials.json')?.body.toString()).toContain(
      'sk-ant-oat01-second',
    );

    // The next session starts from the refreshed login; junk written over it is not kept.
    await core.service.create({
      name: 'sub2',
      repo: makeRepo(),
      agent: 'claude',
      prompt: FIRST_PROMPT,
      image: SESSION_IMAGE,
      env,
    });
    await reach(core, 'sub2', 'idle');
    expect(api.conversation().at(-1)?.headers.authorization).toBe('Bearer sk-ant-oat01-second');
    await core.service.exec('sub2', ['sh', '-c', 'echo not-a-login > /home/berth/.claude/.credentials.json']);
    await core.service.cancel('sub2');
    const after = await core.agents.credentials.dirEntries('claude');
    expect(after?.find((e) => e.name === '.credentials.json')?.body.toString()).toContain(
      'sk-ant-oat01-second',
    );
  });
});
