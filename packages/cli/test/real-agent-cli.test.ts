import { WAIT_EXIT } from '@berth/api';
import { makeRepo } from '@berth/testkit';
import { scriptedAnthropic, userTexts } from '@berth/testkit/model-api/anthropic';
import { inputTexts, scriptedResponses } from '@berth/testkit/model-api/openai-responses';
import { networkGateway, SESSION_IMAGE, writeAndRunTurns } from '@berth/testkit/session-agents';
import { describe, expect, onTestFinished, test } from 'vitest';
import { agentCli } from './agent-cli.js';

// A user's whole loop with the real agents, through the installed CLI and its daemon: `berth
// auth setup` stores the key, `berth dispatch` starts the agent on its task with nobody at its
// terminal, `berth wait` until its turn is done, `berth diff` shows the work, `berth send` the
// next prompt, `berth restart` and the conversation goes on. The model API is scripted, on the
// session network's gateway, where the session's container reaches this host.

const FIRST = 'Create hello.txt saying hello, then record that the command ran.';
const SECOND = 'Now say what you did before.';
const THIRD = 'After the restart: what was your work?';

const CASES = [
  {
    agent: 'claude' as const,
    key: 'ANTHROPIC_API_KEY',
    value: 'sk-ant-api03-cli-0123456789-abcdefghijKLMNOPQRST',
    async api(host: string) {
      const api = await scriptedAnthropic({ turns: writeAndRunTurns('claude'), host });
      return {
        api,
        settings: { claude: { env: { ANTHROPIC_BASE_URL: api.url } } },
        texts: userTexts,
        keyOf: (h: Record<string, unknown>) => h['x-api-key'],
      };
    },
  },
  {
    agent: 'codex' as const,
    key: 'OPENAI_API_KEY',
    value: 'sk-proj-cli-0123456789-abcdefghijKLMNOPQRST',
    async api(host: string) {
      const api = await scriptedResponses({ turns: writeAndRunTurns('codex'), host });
      return {
        api,
        settings: { codex: { model: 'gpt-5.2', env: { OPENAI_BASE_URL: `${api.url}/v1` } } },
        texts: inputTexts,
        keyOf: (h: Record<string, unknown>) => String(h.authorization ?? '').replace(/^Bearer /, ''),
      };
    },
  },
];

describe.each(CASES)('berth with the real $agent', { timeout: 420_000 }, (c) => {
  test('auth setup, dispatch unattended, wait, diff, send, restart: the whole loop from the CLI', async () => {
    const gateway = await networkGateway();
    const { api, settings, texts, keyOf } = await c.api(gateway);
    onTestFinished(() => api.close());
    const { cli } = agentCli({ agents: settings });

    // Not set up yet: refused before anything is made, with what to do.
    const refused = await cli.run(
      'dispatch',
      ...['--agent', c.agent, '--repo', makeRepo(), '--image', SESSION_IMAGE, '--prompt', FIRST],
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`berth auth setup ${c.agent}`);
    expect(JSON.parse((await cli.run('ls', '--json')).stdout)).toEqual([]);

    const setup = await cli.runWithInput(
      `${c.value}\n`,
      'auth',
      'setup',
      c.agent,
      '--key',
      c.key,
      '--no-dir',
    );
    expect(setup.code, setup.stderr).toBe(0);
    // The key stays in the daemon: the session gets a placeholder (the key broker).
    expect((await cli.run('auth', 'status')).stdout).toContain(`${c.key} (brokered)`);
    const repo = makeRepo();
    const made = await cli.run(
      'dispatch',
      '--agent',
      c.agent,
      '--repo',
      repo,
      '--image',
      SESSION_IMAGE,
      '--prompt',
      FIRST,
    );
    expect(made.code, made.stderr).toBe(0);
    const name = made.stdout.trim();

    const idle = await cli.run('wait', name, '--for', 'idle', '--timeout', '180s');
    expect(idle.code, `${idle.stdout}${idle.stderr}`).toBe(WAIT_EXIT.idle);
    const diff = await cli.run('diff', name);
    expect(diff.stdout).toContain('+hello from the script');
    expect(diff.stdout).toContain('+ran');
    const [opening] = api.conversation();
    expect(opening && texts(opening).some((t) => t.includes(FIRST))).toBe(true);
    for (const r of api.conversation()) expect(keyOf(r.headers)).toBe(c.value);
    const shown = JSON.parse((await cli.run('show', name, '--json')).stdout);
    expect(shown).toMatchObject({
      agent: c.agent,
      agentStatus: 'idle',
      agentStatusSource: 'signals',
      task: FIRST,
    });

    // The next prompt, without attaching.
    const before = api.turnsUsed();
    expect((await cli.run('send', name, SECOND)).code).toBe(0);
    expect((await cli.run('wait', name, '--for', 'idle', '--timeout', '180s')).code).toBe(WAIT_EXIT.idle);
    expect(api.turnsUsed()).toBeGreaterThan(before);
    const second = api.conversation().at(-1);
    expect(second && texts(second).some((t) => t.includes(SECOND))).toBe(true);

    // A restart: the resumed agent's next request carries the whole conversation.
    expect((await cli.run('restart', name)).code).toBe(0);
    expect((await cli.run('wait', name, '--for', 'idle', '--timeout', '180s')).code).toBe(WAIT_EXIT.idle);
    const count = api.conversation().length;
    expect((await cli.run('send', name, THIRD)).code).toBe(0);
    expect((await cli.run('wait', name, '--for', 'idle', '--timeout', '180s')).code).toBe(WAIT_EXIT.idle);
    const resumed = api.conversation()[count];
    for (const prompt of [FIRST, SECOND, THIRD]) {
      expect(resumed && texts(resumed).some((t) => t.includes(prompt))).toBe(true);
    }
    expect((await cli.run('rm', name, '--force')).code).toBe(0);
  });
});
