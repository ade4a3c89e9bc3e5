import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, tempDir, uniqueSecret } from '@berth/testkit';
import { BIN, type berthCli } from '@berth/testkit/cli';
import { describe, expect, it, vi } from 'vitest';
import { agentCli } from './agent-cli.js';

async function execOut(cli: ReturnType<typeof berthCli>, name: string, ...cmd: string[]): Promise<string> {
  const r = await cli.run('exec', name, '--', ...cmd);
  return r.stdout;
}

describe('berth agents from the CLI', () => {
  it('new --agent --prompt, then attach in a real terminal: the screen shows the agent, typed lines reach it', async () => {
    const { cli } = agentCli();
    const repo = makeRepo();
    const made = await cli.run(
      'new',
      'att',
      '--repo',
      repo,
      '--agent',
      'stand-in',
      '--prompt',
      'write a.txt: from the prompt',
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toContain('berth attach att');
    // util-linux `script` gives the CLI a real pseudo-terminal, as a user's terminal would.
    const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} attach att`, '/dev/null'], {
      env: { ...cli.env, COLUMNS: '120', LINES: '40' },
    });
    let screen = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString('utf8');
      if (!typed && screen.includes('prompts so far')) {
        typed = true;
        setTimeout(() => child.stdin.write('write b.txt: typed in attach\r'), 300);
      }
    });
    await expect.poll(() => screen, { timeout: 30_000, interval: 200 }).toContain('wrote b.txt');
    // Detach as a tmux user would (C-b d): the CLI exits 0 and the agent keeps running.
    child.stdin.write('\x02d');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    expect(await execOut(cli, 'att', 'cat', 'a.txt', 'b.txt')).toBe('from the prompt\ntyped in attach\n');
    expect(await execOut(cli, 'att', 'tmux', 'has-session', '-t', 'agent')).toBe('');
    expect((await cli.run('exec', 'att', '--', 'tmux', 'has-session', '-t', 'agent')).code).toBe(0);
    const diff = await cli.run('diff', 'att');
    expect(diff.stdout).toContain('+typed in attach');
    const shown = await cli.json<{ kind: string; agent: string }>('show', 'att');
    expect(shown).toMatchObject({ kind: 'agent', agent: 'stand-in' });
  });

  it('dispatch prints a usable generated name; --json prints the session', async () => {
    const { cli } = agentCli();
    const repo = makeRepo();
    const r = await cli.run(
      'dispatch',
      '--prompt',
      'write d.txt: dispatched',
      '--agent',
      'stand-in',
      '--repo',
      repo,
    );
    expect(r.code, r.stderr).toBe(0);
    const name = r.stdout.trim();
    expect(name).toMatch(/^stand-in-[a-z]+-[a-z]+(-\d+)?$/);
    await expect
      .poll(() => execOut(cli, name, 'cat', 'd.txt'), { timeout: 30_000, interval: 200 })
      .toBe('dispatched\n');
    const j = await cli.json<{ name: string; kind: string; status: string }>(
      'dispatch',
      '--prompt',
      'hi',
      '--agent',
      'stand-in',
      '--repo',
      repo,
    );
    expect(j).toMatchObject({ kind: 'agent', status: 'running' });
    expect(j.name).not.toBe(name);
    const missing = await cli.run('dispatch', '--agent', 'stand-in', '--repo', repo);
    expect(missing.code).toBe(2);
  });

  it('auth setup takes a directory and a key from the environment, never echoes them; sessions see them', async () => {
    const { cli } = agentCli();
    const key = uniqueSecret('sk-cli');
    const fileSecret = uniqueSecret('file');
    const dir = tempDir('berth-creds-src-');
    writeFileSync(join(dir, 'token.json'), fileSecret);
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'inner.txt'), 'inner');
    symlinkSync('/etc/hostname', join(dir, 'outside-link'));
    symlinkSync(join(dir, 'token.json'), join(dir, 'inside-link'));
    const setup = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(
        process.execPath,
        [BIN, 'auth', 'setup', 'stand-in', '--from', dir, '--key', 'STAND_IN_KEY'],
        {
          env: { ...cli.env, STAND_IN_KEY: key },
        },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.stdin.end();
      child.on('exit', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toContain('outside-link');
    expect(setup.stdout).toContain('set STAND_IN_KEY');
    expect(`${setup.stdout}${setup.stderr}`).not.toContain(key);
    // A key from stdin (one line per key) when it is not in the environment.
    const other = uniqueSecret('sk-stdin');
    const piped = await cli.runWithInput(
      `${other}\n`,
      'auth',
      'setup',
      'stand-in',
      '--no-dir',
      '--key',
      'OTHER_KEY',
    );
    expect(piped.code, piped.stderr).toBe(0);

    const status = await cli.run('auth', 'status', '--json');
    expect(status.code).toBe(0);
    expect(status.stdout).not.toContain(key);
    expect(status.stdout).not.toContain(other);
    const parsed = JSON.parse(status.stdout) as {
      agents: Array<{
        name: string;
        configured: { dir: { files: number } | null; keys: Array<{ name: string }> };
      }>;
    };
    const standIn = parsed.agents.find((a) => a.name === 'stand-in')!;
    expect(standIn.configured.dir?.files).toBe(3); // token.json, sub/inner.txt, inside-link (as a copy)
    expect(standIn.configured.keys.map((k) => k.name)).toEqual(['OTHER_KEY', 'STAND_IN_KEY']);
    const human = await cli.run('auth', 'status');
    expect(human.stdout).toMatch(/stand-in \(config\)\s+3 files/);
    expect(human.stdout).toContain('STAND_IN_KEY (in the session)');

    const made = await cli.run(
      'new',
      'c1',
      '--repo',
      makeRepo(),
      '--agent',
      'stand-in',
      '--prompt',
      'key STAND_IN_KEY',
    );
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).not.toContain(key);
    expect(await execOut(cli, 'c1', 'cat', '/home/berth/.stand-in-creds/inside-link')).toBe(fileSecret);
    expect(await execOut(cli, 'c1', 'sh', '-c', 'ls /home/berth/.stand-in-creds')).not.toContain(
      'outside-link',
    );
    const w = await cli.run(
      'exec',
      'c1',
      '--',
      'sh',
      '-c',
      'echo no > /home/berth/.stand-in-creds/token.json',
    );
    expect(w.code).not.toBe(0);
    const sha = createHash('sha256').update(key).digest('hex');
    await expect
      .poll(() => execOut(cli, 'c1', 'tmux', 'capture-pane', '-p', '-t', 'agent'), {
        timeout: 30_000,
        interval: 200,
      })
      .toContain(sha);
    // The agent's screen reaches the container's log through tmux's pipe, a moment after the pane.
    const logs = await vi.waitFor(
      async () => {
        const shown = await cli.run('logs', 'c1');
        if (!shown.stdout.includes('stand-in')) throw new Error(`no stand-in in the logs:\n${shown.stdout}`);
        return shown;
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(logs.stdout).not.toContain(key);

    const rm = await cli.run('auth', 'rm', 'stand-in', '--name', 'OTHER_KEY', '--json');
    expect(rm.code).toBe(0);
    const nothing = await cli.run('auth', 'setup', 'stand-in', '--no-dir');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('nothing to set up');
  });

  it("auth setup/status/rm --team: the team's credentials, apart from the host's (security review F12)", async () => {
    const { cli } = agentCli();
    expect((await cli.run('team', 'create', 'red')).code).toBe(0);
    const key = uniqueSecret('sk-team');
    const setup = await cli.runWithInput(
      `${key}\n`,
      'auth',
      'setup',
      'stand-in',
      '--no-dir',
      '--key',
      'STAND_IN_KEY',
      '--team',
      'red',
    );
    expect(setup.code, setup.stderr).toBe(0);
    expect(setup.stdout).toContain("team red's");
    type Status = {
      agents: Array<{
        name: string;
        configured: { keys: unknown[] };
        team?: { configured: { keys: unknown[] } };
      }>;
    };
    const standIn = async (...args: string[]) =>
      (JSON.parse((await cli.run('auth', 'status', '--json', ...args)).stdout) as Status).agents.find(
        (a) => a.name === 'stand-in',
      )!;
    expect((await standIn()).configured.keys).toEqual([]);
    expect((await standIn('--team', 'red')).team?.configured.keys).toHaveLength(1);
    expect((await cli.run('auth', 'status', '--team', 'red')).stdout).toContain('STAND_IN_KEY');
    const unknown = await cli.runWithInput(
      'x\n',
      'auth',
      'setup',
      'stand-in',
      '--no-dir',
      '--key',
      'STAND_IN_KEY',
      '--team',
      'blue',
    );
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain("team named 'blue'");
    expect((await cli.run('auth', 'rm', 'stand-in', '--team', 'red')).code).toBe(0);
    expect((await standIn('--team', 'red')).team?.configured.keys).toEqual([]);
  });

  it('an unknown profile or a bad config file is a clear error and makes nothing', async () => {
    const { cli, configFile } = agentCli();
    const repo = makeRepo();
    const unknown = await cli.run('new', 'u', '--repo', repo, '--agent', 'ghost', '--prompt', 'x');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("no agent profile named 'ghost'");
    writeFileSync(
      configFile,
      JSON.stringify({ agents: { 'stand-in': { command: ['x'], prompt: 'sideways' } } }),
    );
    const bad = await cli.run('new', 'b', '--repo', repo, '--agent', 'stand-in');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(configFile);
    expect(bad.stderr).toContain('agents.stand-in.prompt');
    const status = await cli.run('auth', 'status');
    expect(status.code).toBe(2);
    expect((await cli.json<unknown[]>('ls')).length).toBe(0);
  });
});
