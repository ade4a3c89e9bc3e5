import { WAIT_EXIT } from '@berth/api';
import { makeRepo } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { agentCli } from './agent-cli.js';

const LOG = '/home/berth/.stand-in/conversation.log';

describe('berth send and berth wait', () => {
  it('dispatch --env, wait for idle, send the next prompt, wait again; ls and show tell what the agent does', async () => {
    const { cli } = agentCli();
    const repo = makeRepo();
    const made = await cli.run(
      'dispatch',
      '--agent',
      'stand-in',
      '--repo',
      repo,
      '--prompt',
      'write a.txt: first',
      '--env',
      'FOO=bar',
      '--env',
      'EMPTY=',
      '--autonomy',
      'full',
    );
    expect(made.code, made.stderr).toBe(0);
    const name = made.stdout.trim();
    expect((await cli.run('exec', name, '--', 'printenv', 'FOO')).stdout).toBe('bar\n');
    expect((await cli.run('exec', name, '--', 'printenv', 'EMPTY')).stdout).toBe('\n');

    const idle = await cli.run('wait', name, '--for', 'idle', '--timeout', '60s');
    expect(idle.code, idle.stderr).toBe(WAIT_EXIT.idle);
    expect(idle.stdout).toBe(`${name}: idle\n`);
    expect((await cli.run('exec', name, '--', 'cat', 'a.txt')).stdout).toBe('first\n');

    const ls = await cli.run('ls');
    expect(ls.stdout.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+AGENT\s+BRANCH/);
    expect(ls.stdout).toMatch(new RegExp(`${name}\\s+running\\s+stand-in: idle\\s+berth/${name}`));

    const sent = await cli.run('send', name, 'write b.txt: second');
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stdout).toContain(`${name}: working`);
    const done = await cli.run('wait', name, '--for', 'idle', '--timeout', '60s', '--json');
    expect(done.code, done.stderr).toBe(0);
    const parsed = JSON.parse(done.stdout) as { reached: string; session: Record<string, unknown> };
    expect(parsed).toMatchObject({
      reached: 'idle',
      session: { name, agent: 'stand-in', agentStatus: 'idle', task: 'write a.txt: first' },
    });
    expect((await cli.run('exec', name, '--', 'cat', 'b.txt')).stdout).toBe('second\n');
    expect((await cli.run('exec', name, '--', 'cat', LOG)).stdout).toContain('write b.txt: second');

    // From stdin, with --json: the session as `berth show --json` prints it.
    const piped = await cli.runWithInput('write c.txt: from stdin\n', 'send', name, '--file', '-', '--json');
    expect(piped.code, piped.stderr).toBe(0);
    expect(JSON.parse(piped.stdout)).toMatchObject({ name, agentStatus: 'working' });
    expect((await cli.run('wait', name, '--timeout', '60s')).code).toBe(0);
    expect((await cli.run('exec', name, '--', 'cat', 'c.txt')).stdout).toBe('from stdin\n');

    const show = await cli.run('show', name);
    expect(show.stdout).toMatch(/task\s+write a\.txt: first/);
    expect(show.stdout).toMatch(
      /agent\s+stand-in: idle \(since \d{4}-\d\d-\d\dT[^,]+, a guess from its terminal\)/,
    );
    expect(await cli.json('show', name)).toMatchObject({ agentStatus: 'idle', agentExitCode: null });

    // Nothing comes in time: exit 12, and the line says what the agent is doing.
    const timedOut = await cli.run('wait', name, '--timeout', '1s', '--for', 'needs-input');
    expect(timedOut.code).toBe(WAIT_EXIT.timeout);
    expect(timedOut.stdout).toBe(`${name}: idle (timed out after 1s)\n`);
    const timedOutJson = await cli.run(
      'wait',
      name,
      '--timeout',
      '1s',
      '--for',
      'needs-input,exited',
      '--json',
    );
    expect(timedOutJson.code).toBe(12);
    expect(JSON.parse(timedOutJson.stdout)).toMatchObject({ reached: 'timeout', session: { name } });

    // Stopped: no prompt is typed (exit 4, with the way out); waiting for `exited` answers at once.
    expect((await cli.run('stop', name)).code).toBe(0);
    const refused = await cli.run('send', name, 'write d.txt: never typed');
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('is stopped');
    expect(refused.stderr).toContain(`berth start ${name}`);
    const exited = await cli.run('wait', name);
    expect(exited.code).toBe(WAIT_EXIT.exited);
    expect(exited.stdout).toMatch(new RegExp(`^${name}: exited`));
    const notRunning = await cli.run('wait', name, '--for', 'idle');
    expect(notRunning.code).toBe(4);
    expect(notRunning.stderr).toContain(`berth start ${name}`);
    expect((await cli.run('start', name)).code).toBe(0);
    expect((await cli.run('exec', name, '--', 'cat', LOG)).stdout).not.toContain('never typed');
  }, 180_000);

  it('refuses what cannot work, each with what to do next', async () => {
    const { cli } = agentCli();
    const repo = makeRepo();
    expect((await cli.run('new', 'plain', '--repo', repo)).code).toBe(0);

    const wait = await cli.run('wait', 'plain');
    expect(wait.code).toBe(4);
    expect(wait.stderr).toContain("session 'plain' runs no agent");
    expect(wait.stderr).toContain('→');
    const send = await cli.run('send', 'plain', 'hello');
    expect(send.code).toBe(4);
    expect(send.stderr).toContain('berth exec plain');
    const ls = await cli.run('ls');
    expect(ls.stdout).toMatch(/plain\s+running\s+berth\/plain/);

    const cases: [string[], RegExp][] = [
      [['wait', 'plain', '--for', 'working'], /--for "working": not a state[\s\S]*idle, needs-input, exited/],
      [['wait', 'plain', '--timeout', 'soon'], /--timeout "soon" is not a duration[\s\S]*→/],
      [['send', 'plain'], /the prompt is empty[\s\S]*--file/],
      [['send', 'plain', 'x', '--file', '/nonexistent'], /not both/],
      [['send', 'plain', '--file', '/nonexistent/prompt'], /cannot read \/nonexistent\/prompt/],
      [
        ['new', 'auto', '--repo', repo, '--autonomy', 'ask'],
        /--autonomy is for agent sessions[\s\S]*--agent/,
      ],
      [
        ['dispatch', '--agent', 'stand-in', '--repo', repo, '--prompt', 'x', '--autonomy', 'yolo'],
        /full or ask/,
      ],
      [
        ['dispatch', '--agent', 'stand-in', '--repo', repo, '--prompt', 'x', '--env', 'NOEQUALS'],
        /KEY=VALUE/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await cli.run(...args);
      expect([args, r.code]).toEqual([args, 2]);
      expect(r.stderr).toMatch(message);
    }
    const missing = await cli.run('wait', 'ghost', '--json');
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: 'not_found' } });
  }, 120_000);
});
