import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AGENT_IMAGE, agentCore, makeRepo, tempDir, waitForScreen } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { parseStatusLine, readStatusFile } from '../src/agents/agent-status.js';

describe('the agent status line', () => {
  it('is one of the states, an exit code for exited only, and a nonce; anything else is no signal', () => {
    expect(parseStatusLine('working - 12.1700000000\n')).toEqual({ state: 'working', exitCode: null });
    expect(parseStatusLine('exited 3 99.1\n')).toEqual({ state: 'exited', exitCode: 3 });
    expect(parseStatusLine('idle 7 1.1')).toEqual({ state: 'idle', exitCode: null });
    expect(parseStatusLine('needs-input')).toEqual({ state: 'needs-input', exitCode: null });
    for (const bad of [
      '',
      'asleep - 1.1',
      'working; rm -rf /',
      'exited 12345 1.1',
      'idle\nworking',
      'IDLE',
    ]) {
      expect(parseStatusLine(bad), bad).toBeNull();
    }
  });

  it('is read without following a link, without blocking on a FIFO, and not at all past 64 bytes', async () => {
    const dir = tempDir('berth-status-');
    const secret = join(tempDir('berth-secret-'), 'secret');
    writeFileSync(secret, 'idle - 1.1\n');
    symlinkSync(secret, join(dir, 'state'));
    expect(await readStatusFile(dir)).toBeNull();

    const fifo = tempDir('berth-status-');
    execFileSync('mkfifo', [join(fifo, 'state')]);
    const started = Date.now();
    expect(await readStatusFile(fifo)).toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);

    const big = tempDir('berth-status-');
    writeFileSync(join(big, 'state'), `idle - ${'1'.repeat(100)}\n`);
    expect(await readStatusFile(big)).toBeNull();

    const asDir = tempDir('berth-status-');
    mkdirSync(join(asDir, 'state'));
    expect(await readStatusFile(asDir)).toBeNull();

    const good = tempDir('berth-status-');
    writeFileSync(join(good, 'state'), 'working - 1.1\n');
    expect(await readStatusFile(good)).toBe('working - 1.1\n');
  });
});

describe('agent status in a session', () => {
  it('from a profile without signals is a guess from its terminal’s activity, labelled so: idle once it is quiet', async () => {
    const core = await agentCore();
    const s = await core.service.create({
      name: 'guess',
      repo: makeRepo(),
      agent: 'stand-in',
      prompt: 'write a.txt: first',
    });
    expect(s).toMatchObject({
      agentStatus: 'starting',
      agentStatusSource: 'guess',
      task: 'write a.txt: first',
    });
    const out = await core.agents.waitFor(s, ['idle'], 30_000);
    expect(out.reached).toBe('idle');
    expect(out.session).toMatchObject({ agentStatus: 'idle', agentStatusSource: 'guess' });
  });

  it('ends as exited with the agent’s exit code when its process ends', async () => {
    const core = await agentCore();
    const s = await core.service.create({
      name: 'ends',
      repo: makeRepo(),
      agent: 'shell',
      prompt: 'echo first',
      image: AGENT_IMAGE,
    });
    // The shell profile runs the prompt, then a login shell: `exit 7` typed into it ends the agent.
    await waitForScreen(core, 'ends', 'first');
    await core.agents.waitFor(s, ['idle'], 30_000);
    await core.agents.send(s, 'exit 7');
    const out = await core.agents.waitFor(s, ['exited'], 30_000);
    expect(out).toMatchObject({ reached: 'exited', session: { agentStatus: 'exited', agentExitCode: 7 } });
    // Nothing reads a prompt now: refused with how to start the agent again, and the status stays.
    await expect(core.agents.send(out.session, 'echo again')).rejects.toMatchObject({
      hint: 'start it again with `berth restart ends`',
    });
    expect(await core.service.get('ends')).toMatchObject({ agentStatus: 'exited', agentExitCode: 7 });
  });

  it('from a hostile agent: links, FIFOs, junk and floods in its status directory change nothing but its own status', async () => {
    const core = await agentCore();
    const s = await core.service.create({ name: 'hostile', repo: makeRepo(), agent: 'stand-in', prompt: '' });
    await core.agents.waitFor(s, ['idle'], 30_000);
    const sh = (script: string) => core.service.exec('hostile', ['sh', '-c', script]);
    const before = await core.service.get('hostile');
    // A link to a host file (the daemon must not follow it), a FIFO (must not block), junk, a huge file.
    for (const attack of [
      'ln -sf /etc/hostname /run/berth/status/state',
      'rm -f /run/berth/status/state; mkfifo /run/berth/status/state',
      'rm -f /run/berth/status/state; printf "working; $(id)\\n" > /run/berth/status/state',
      'rm -f /run/berth/status/state; head -c 1000000 /dev/zero > /run/berth/status/state',
    ]) {
      expect((await sh(attack)).exitCode, attack).toBe(0);
      await new Promise((r) => setTimeout(r, 1200));
      const now = await core.service.get('hostile');
      expect(now.agentStatus, attack).toBe('idle');
      expect(now.agentStatusSince, attack).toBe(before.agentStatusSince);
    }
    // A thousand changes a second are heard at most once a poll.
    let events = 0;
    const stop = core.events.subscribe((e) => {
      if (e.type === 'agent.status.changed') events++;
    });
    const started = Date.now();
    await sh(
      'rm -f /run/berth/status/state; i=0; while [ $i -lt 500 ]; do ' +
        'printf "working - $i\\n" > /run/berth/status/t; mv -f /run/berth/status/t /run/berth/status/state; ' +
        'printf "idle - $i\\n" > /run/berth/status/t; mv -f /run/berth/status/t /run/berth/status/state; ' +
        'i=$((i+1)); done',
    );
    stop();
    // One a poll (500 ms) at most, however long a loaded machine took over the thousand.
    const polls = Math.ceil((Date.now() - started) / 500) + 1;
    expect(events).toBeLessThanOrEqual(polls);
    expect(events).toBeLessThan(1000);
    // A good line is still heard afterwards.
    await sh(
      'printf "needs-input - 1.1\\n" > /run/berth/status/t && mv -f /run/berth/status/t /run/berth/status/state',
    );
    await expect
      .poll(async () => (await core.service.get('hostile')).agentStatus, { timeout: 10_000, interval: 100 })
      .toBe('needs-input');
  });
});
