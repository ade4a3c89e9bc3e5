import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AGENT_IMAGE,
  agentCore,
  BUSYBOX_IMAGE,
  containersOf,
  docker,
  git,
  makeRepo,
  STAND_IN_PROFILE,
  tarOf,
  volumesOf,
  waitForScreen,
} from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { LABEL_HOME, LABEL_MANAGED, stateVolumeName } from '../src/index.js';

const HOSTILE_PROMPT = [
  'write notes/plan.md: it said "hi" and $(touch /tmp/pwned) `id` \'quoted\' ; rm -rf /',
  'write second.txt: line two',
  'commit: agent work',
].join('\n');

describe('agent sessions', () => {
  it('run the profile in tmux with the prompt intact, edit files as told, and diff shows the edits', async () => {
    const core = await agentCore();
    const repo = makeRepo();
    const s = await core.service.create({ name: 'ag', repo, agent: 'stand-in', prompt: HOSTILE_PROMPT });
    expect(s).toMatchObject({ kind: 'agent', agent: 'stand-in', status: 'running', image: AGENT_IMAGE });
    await waitForScreen(core, 'ag', 'prompts so far');
    const log = await core.service.exec('ag', ['cat', '/home/berth/.stand-in/conversation.log']);
    expect(log.stdout.toString()).toContain(HOSTILE_PROMPT);
    const plan = await core.service.exec('ag', ['cat', 'notes/plan.md']);
    expect(plan.stdout.toString()).toBe('it said "hi" and $(touch /tmp/pwned) `id` \'quoted\' ; rm -rf /\n');
    expect((await core.service.exec('ag', ['test', '-e', '/tmp/pwned'])).exitCode).toBe(1);
    const d = await core.service.diff('ag');
    expect(d.diff).toContain('+line two');
    expect(d.diff).toContain('notes/plan.md');
    // The prompt never becomes part of the container's configuration as a shell string.
    const info = await docker.getContainer(s.containerId!).inspect();
    expect(info.Config.Cmd).toEqual(['sh', '/berth/agent/launcher.sh', 'boot']);
    expect(info.Config.Env?.some((e) => e.startsWith('HOME=/home/berth'))).toBe(true);
    // The launcher is root's: the agent cannot rewrite what runs it.
    const w = await core.service.exec('ag', ['sh', '-c', 'echo x >> /berth/agent/launcher.sh']);
    expect(w.exitCode).not.toBe(0);
  });

  it('keep the conversation across stop/start and restart: the resumed agent sees its state', async () => {
    const core = await agentCore();
    const s = await core.service.create({
      name: 'keep',
      repo: makeRepo(),
      agent: 'stand-in',
      prompt: 'write a.txt: first',
    });
    await waitForScreen(core, 'keep', '1 prompts so far');
    await core.service.stop('keep');
    await core.service.start('keep');
    // The resumed stand-in says how many prompts it found, then the last one, line by line.
    await waitForScreen(core, 'keep', 'resumed a conversation of 1 prompts');
    await waitForScreen(core, 'keep', 'last prompt was:\nwrite a.txt: first');
    await core.service.pause('keep');
    await core.service.resume('keep');
    await core.service.restart('keep');
    await waitForScreen(core, 'keep', 'resumed a conversation of 1 prompts');
    const vol = await docker.getVolume(stateVolumeName(s.id)).inspect();
    expect(vol.Labels).toMatchObject({ 'dev.berth.session.id': s.id });
    // Ending the session removes its volume.
    await core.service.cancel('keep');
    expect(await volumesOf(core.config.home)).toHaveLength(0);
  });

  it('finish removes the state volume and the host credentials', async () => {
    const core = await agentCore();
    await core.agents.credentials.put('stand-in', { keys: { STAND_IN_KEY: 'k-123' } });
    const s = await core.service.create({
      name: 'fin',
      repo: makeRepo(),
      agent: 'stand-in',
      prompt: 'write f.txt: x',
    });
    await waitForScreen(core, 'fin', 'prompts so far');
    expect(existsSync(core.agents.credentials.paths(s.id).base)).toBe(true);
    await core.service.finish('fin', 'done');
    expect(await volumesOf(core.config.home)).toHaveLength(0);
    expect(existsSync(core.agents.credentials.paths(s.id).base)).toBe(false);
  });

  it('see their credentials read-only, keys only in the agent’s environment, never in docker inspect', async () => {
    const core = await agentCore();
    const secretKey = `sk-test-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;
    const secretFile = `token-${createHash('sha256').update(String(Math.random())).digest('hex').slice(0, 24)}`;
    await core.agents.credentials.put('stand-in', {
      dir: await tarOf({ 'auth.json': secretFile, 'sub/x.txt': 'nested' }),
      keys: { STAND_IN_KEY: secretKey },
    });
    const s = await core.service.create({
      name: 'cred',
      repo: makeRepo(),
      agent: 'stand-in',
      prompt: 'key STAND_IN_KEY',
    });
    const sha = createHash('sha256').update(secretKey).digest('hex');
    await waitForScreen(core, 'cred', `sha256 ${sha}`);
    const read = await core.service.exec('cred', [
      'cat',
      '/home/berth/.stand-in-creds/auth.json',
      '/home/berth/.stand-in-creds/sub/x.txt',
    ]);
    expect(read.stdout.toString()).toBe(`${secretFile}nested`);
    for (const target of [
      '/home/berth/.stand-in-creds/auth.json',
      '/run/berth/secrets/STAND_IN_KEY',
      '/home/berth/.stand-in-creds/new',
    ]) {
      const w = await core.service.exec('cred', ['sh', '-c', `echo x > ${target}`]);
      expect(w.exitCode, target).not.toBe(0);
      expect(w.stderr.toString()).toMatch(/Read-only/i);
    }
    const inspect = JSON.stringify(await docker.getContainer(s.containerId!).inspect());
    expect(inspect).not.toContain(secretKey);
    expect(inspect).not.toContain(secretFile);
    // Not in the container's logs either (the agent's screen goes there).
    const logs = (await docker.getContainer(s.containerId!).logs({ stdout: true, stderr: true })).toString();
    expect(logs).toContain('stand-in');
    expect(logs).not.toContain(secretKey);
    // A stop and start puts them back (a host tmpfs is gone after a reboot).
    await core.service.stop('cred');
    await core.service.start('cred');
    expect(
      (await core.service.exec('cred', ['cat', '/run/berth/secrets/STAND_IN_KEY'])).stdout.toString(),
    ).toBe(secretKey);
    await core.service.cancel('cred');
    expect(readdirSync(core.agents.credentials.root)).toEqual([]);
  });

  it('in link mode, credential files are read-only links in a directory the agent can still write', async () => {
    const core = await agentCore({
      agents: {
        'stand-in': {
          ...STAND_IN_PROFILE,
          credentials: { dir: { ...STAND_IN_PROFILE.credentials.dir, mode: 'link' } },
        },
      },
    });
    await core.agents.credentials.put('stand-in', {
      dir: await tarOf({ '.credentials.json': 'tok', 'settings.json': '{}' }),
    });
    await core.service.create({ name: 'lnk', repo: makeRepo(), agent: 'stand-in', prompt: 'hi' });
    await waitForScreen(core, 'lnk', 'prompts so far');
    const dir = '/home/berth/.stand-in-creds';
    expect((await core.service.exec('lnk', ['cat', `${dir}/.credentials.json`])).stdout.toString()).toBe(
      'tok',
    );
    expect((await core.service.exec('lnk', ['readlink', `${dir}/settings.json`])).stdout.toString()).toBe(
      '/run/berth/credentials/settings.json\n',
    );
    const w = await core.service.exec('lnk', ['sh', '-c', `echo x > ${dir}/.credentials.json`]);
    expect(w.stderr.toString()).toMatch(/Read-only/);
    const history = await core.service.exec('lnk', [
      'sh',
      '-c',
      `mkdir ${dir}/projects && echo h > ${dir}/projects/p`,
    ]);
    expect(history.exitCode, history.stderr.toString()).toBe(0);
    // After a restart the links are made again and the agent's own files are still there.
    await core.service.restart('lnk');
    await waitForScreen(core, 'lnk', 'resumed a conversation');
    expect(
      (
        await core.service.exec('lnk', ['cat', `${dir}/projects/p`, `${dir}/.credentials.json`])
      ).stdout.toString(),
    ).toBe('h\ntok');
  });

  it('on an image without tmux fail clearly and leave nothing behind', async () => {
    const core = await agentCore();
    const repo = makeRepo();
    await expect(
      core.service.create({ name: 'notmux', repo, agent: 'shell', prompt: 'echo hi', image: BUSYBOX_IMAGE }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/no tmux/) });
    expect(await core.service.list()).toHaveLength(0);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(await volumesOf(core.config.home)).toHaveLength(0);
    expect(readdirSync(core.agents.credentials.root)).toEqual([]);
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');
  });

  it('refuse an unknown profile and a bad config file, naming the file and the field, making nothing', async () => {
    const core = await agentCore();
    const repo = makeRepo();
    await expect(core.service.create({ name: 'x', repo, agent: 'nope' })).rejects.toMatchObject({
      code: 'not_found',
      message: expect.stringMatching(/no agent profile named 'nope'/),
    });
    writeFileSync(core.config.configFile, JSON.stringify({ agents: { bad: { command: 7 } } }));
    await expect(core.service.create({ name: 'y', repo, agent: 'bad' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining(`${core.config.configFile} is not valid: agents.bad.command`),
    });
    writeFileSync(core.config.configFile, '{ not json');
    await expect(core.service.create({ name: 'z', repo, agent: 'claude' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('is not valid JSON'),
    });
    writeFileSync(core.config.configFile, JSON.stringify({ agents: { s: { command: ['x'], extra: 1 } } }));
    await expect(core.agents.catalogue()).rejects.toThrow(/agents\.s .*unknown field extra/);
    expect(await core.service.list()).toHaveLength(0);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(await volumesOf(core.config.home)).toHaveLength(0);
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');
  });

  it('user profiles override built-ins; a shell string command gets the prompt as $1', async () => {
    const core = await agentCore({});
    writeFileSync(
      core.config.configFile,
      JSON.stringify({
        agents: { claude: { command: 'printf "<%s>\\n" "$1"; exec sleep 600', image: AGENT_IMAGE } },
      }),
    );
    const cat = await core.agents.catalogue();
    expect(cat.profiles.find((p) => p.name === 'claude')).toMatchObject({ builtin: false });
    await core.service.create({ name: 'str', repo: makeRepo(), agent: 'claude', prompt: 'a "b" $(c)\nd' });
    await waitForScreen(core, 'str', '<a "b" $(c)');
  });

  it('a missing name is made up for an agent session (dispatch), unique and a valid slug', async () => {
    const core = await agentCore();
    const repo = makeRepo();
    const a = await core.service.create({ repo, agent: 'stand-in', prompt: 'hello' });
    expect(a.name).toMatch(/^stand-in-[a-z]+-[a-z]+(-\d+)?$/);
    await expect(core.service.create({ repo })).rejects.toMatchObject({ code: 'invalid_input' });
  });

  it('the reconciler removes state volumes and host credentials that no session owns, and only those', async () => {
    const core = await agentCore();
    const live = await core.service.create({
      name: 'live',
      repo: makeRepo(),
      agent: 'stand-in',
      prompt: 'hi',
    });
    const orphan = stateVolumeName('00000000-0000-4000-8000-000000000000');
    await docker.createVolume({
      Name: orphan,
      Labels: {
        [LABEL_MANAGED]: 'true',
        [LABEL_HOME]: core.config.home,
        'dev.berth.session.id': '00000000-0000-4000-8000-000000000000',
      },
    });
    mkdirSync(join(core.agents.credentials.root, '00000000-0000-4000-8000-000000000000'), {
      recursive: true,
    });
    // Not a session id: not berth's to remove (security review F13).
    mkdirSync(join(core.agents.credentials.root, 'not-a-session'), { recursive: true });
    await core.reconciler.reconcileAll();
    expect((await volumesOf(core.config.home)).map((v) => v.Name)).toEqual([stateVolumeName(live.id)]);
    expect(readdirSync(core.agents.credentials.root).sort()).toEqual([live.id, 'not-a-session'].sort());
    expect((await core.service.get('live')).status).toBe('running');
  });
});
