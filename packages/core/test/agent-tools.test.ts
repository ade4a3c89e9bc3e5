/**
 * berth's agents volume against the real engine and real npm installs: the pinned CLIs, filled
 * once for the whole suite (scripts/setup.mjs --for-tests fills it ahead; else the first test
 * here does, about 40 s), mounted read-only into agent sessions; and the preflight's refusals.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import {
  AGENT_IMAGE,
  agentCore,
  BUSYBOX_IMAGE,
  containersOf,
  docker,
  git,
  makeRepo,
  removeContainersOf,
  tempDir,
  testConfig,
  volumesOf,
} from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AGENT_TOOLS, type AgentTool, agentsVolumeName } from '../src/agents/agent-tools.js';
import { AgentToolsVolume } from '../src/agents/agent-tools-volume.js';
import {
  DEFAULT_IMAGE,
  DockerRuntime,
  LABEL_HOME,
  LABEL_MANAGED,
  openCore,
  silentLogger,
} from '../src/index.js';

const NO_NODE_IMAGE = 'berth-test/no-node:1';

/** A one-package set for the fill's own tests: small and quick, with a bin that answers --version. */
const json5 = (version: string): AgentTool => ({
  bin: 'json5',
  package: 'json5',
  version,
  entry: 'node_modules/json5/lib/cli.js',
  needs: 'node',
  description: 'json5',
});

/** The session image without Node.js (a project image with glibc and tmux but no node), made once. */
async function noNodeImage(): Promise<string> {
  const session = await docker.getImage(DEFAULT_IMAGE).inspect();
  const mine = await docker
    .getImage(NO_NODE_IMAGE)
    .inspect()
    .catch(() => null);
  if (mine?.Config.Labels?.['dev.berth.test.base'] === session.Id) return NO_NODE_IMAGE;
  const c = await docker.createContainer({
    Image: DEFAULT_IMAGE,
    User: '0:0',
    Cmd: [
      'sh',
      '-c',
      'rm -rf /usr/local/bin/node /usr/local/bin/npm /usr/local/bin/npx /usr/local/lib/node_modules',
    ],
  });
  try {
    await c.start();
    await c.wait();
    await c.commit({
      repo: 'berth-test/no-node',
      tag: '1',
      changes: [`LABEL dev.berth.test.base=${session.Id}`, 'USER 1000:1000', 'CMD ["sleep", "infinity"]'],
    });
  } finally {
    await c.remove({ force: true });
  }
  return NO_NODE_IMAGE;
}

async function volumeCreatedAt(name: string): Promise<string> {
  const v = (await docker.getVolume(name).inspect()) as { CreatedAt?: string };
  return v.CreatedAt ?? '';
}

/** Nothing of a refused create: no row, container, volume, credentials or branch. */
async function expectNothingMade(core: Awaited<ReturnType<typeof agentCore>>, repo: string) {
  expect(await core.service.list()).toHaveLength(0);
  expect(await containersOf(core.config.home)).toHaveLength(0);
  expect(await volumesOf(core.config.home)).toHaveLength(0);
  expect(readdirSync(core.agents.credentials.root)).toEqual([]);
  expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');
}

describe("berth's agents volume", () => {
  it('is filled once and reused: claude and codex run in agent sessions, from a read-only mount', async () => {
    const core = await agentCore();
    await core.agents.credentials.put('claude', { keys: { ANTHROPIC_API_KEY: 'sk-ant-test' } });
    const volume = agentsVolumeName();
    await core.agents.tools.ensure();
    const createdAt = await volumeCreatedAt(volume);

    const lines: string[] = [];
    const s = await core.service.create(
      { name: 'tools', repo: makeRepo(), agent: 'claude', image: DEFAULT_IMAGE },
      (l) => lines.push(l),
    );
    expect(s.image).toBe(DEFAULT_IMAGE);
    expect(lines.join('\n')).not.toMatch(/installing the agents/);
    const lines2: string[] = [];
    await core.service.create(
      { name: 'tools2', repo: makeRepo(), agent: 'claude', image: DEFAULT_IMAGE },
      (l) => lines2.push(l),
    );
    expect(lines2.join('\n')).not.toMatch(/installing the agents|npm/);
    expect(await volumeCreatedAt(volume)).toBe(createdAt);

    const claude = await core.service.exec('tools', ['claude', '--version']);
    expect(claude.stdout.toString(), claude.stderr.toString()).toContain(
      `${AGENT_TOOLS.find((t) => t.bin === 'claude')!.version} (Claude Code)`,
    );
    const codex = await core.service.exec('tools', ['codex', '--version']);
    expect(codex.stdout.toString(), codex.stderr.toString()).toContain(
      `codex-cli ${AGENT_TOOLS.find((t) => t.bin === 'codex')!.version}`,
    );
    const which = await core.service.exec('tools', ['sh', '-c', 'command -v claude gemini; echo "$PATH"']);
    expect(which.stdout.toString()).toMatch(/^\/opt\/berth\/agents\/bin\/claude\n/);
    expect(which.stdout.toString()).toContain('/opt/berth/agents/bin:/usr/local/sbin');
    const write = await core.service.exec('tools', ['sh', '-c', 'touch /opt/berth/agents/x']);
    expect(write.stderr.toString()).toMatch(/Read-only/);
    const info = await docker.getContainer(s.containerId!).inspect();
    expect(info.Mounts.find((m) => m.Destination === '/opt/berth/agents')).toMatchObject({
      Name: volume,
      RW: false,
    });
    // The volume is berth's, shared by every BERTH_HOME: no session or home owns it.
    const v = await docker.getVolume(volume).inspect();
    expect(v.Labels).toMatchObject({ [LABEL_MANAGED]: 'true', 'dev.berth.role': 'agents' });
    expect(v.Labels[LABEL_HOME]).toBeUndefined();
  });

  it('the native claude and codex run on an image without Node; gemini, a Node script, is refused there', async () => {
    const image = await noNodeImage();
    const core = await agentCore({
      agents: { gemini: { command: ['gemini'] }, 'claude-here': { command: ['claude'], image } },
    });
    await core.agents.tools.ensure();
    await core.service.create({ name: 'nonode', repo: makeRepo(), agent: 'claude-here' });
    expect(
      (await core.service.exec('nonode', ['sh', '-c', 'command -v node || echo none'])).stdout.toString(),
    ).toBe('none\n');
    const claude = await core.service.exec('nonode', ['claude', '--version']);
    expect(claude.exitCode, claude.stderr.toString()).toBe(0);
    expect(claude.stdout.toString()).toContain('(Claude Code)');
    const codex = await core.service.exec('nonode', ['codex', '--version']);
    expect(codex.exitCode, codex.stderr.toString()).toBe(0);
    const repo = makeRepo();
    await core.service.cancel('nonode');
    await core.service.remove('nonode');
    await expect(core.service.create({ name: 'gem', repo, agent: 'gemini', image })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/Gemini CLI .*needs Node\.js 20 or newer.*berth-test\/no-node:1 lacks/),
      hint: expect.stringContaining('--image'),
    });
    await expectNothingMade(core, repo);
  });

  it('on busybox (no libc at all) the static codex runs and the glibc claude cannot', async () => {
    const volume = agentsVolumeName();
    const core = await agentCore();
    await core.agents.tools.ensure();
    const run = async (bin: string) => {
      const c = await docker.createContainer({
        Image: BUSYBOX_IMAGE,
        Cmd: [`/opt/berth/agents/bin/${bin}`, '--version'],
        Env: ['HOME=/tmp'],
        User: '1000:1000',
        HostConfig: { Binds: [`${volume}:/opt/berth/agents:ro`], NetworkMode: 'none' },
      });
      try {
        const refused = await c.start().then(
          () => null,
          (err: Error) => err.message,
        );
        if (refused) return { code: -1, logs: refused };
        const { StatusCode } = await c.wait();
        const logs = (await c.logs({ stdout: true, stderr: true })).toString();
        return { code: StatusCode as number, logs };
      } finally {
        await c.remove({ force: true });
      }
    };
    const codex = await run('codex');
    expect(codex.code, codex.logs).toBe(0);
    expect(codex.logs).toContain('codex-cli');
    expect((await run('claude')).code).not.toBe(0);
  });

  it('preflight: a command neither the image nor the volume has, and aider without PyPI, are refused first', async () => {
    const core = await agentCore({ agents: { ghost: { command: ['no-such-agent'], image: AGENT_IMAGE } } });
    const repo = makeRepo();
    await expect(core.service.create({ name: 'g', repo, agent: 'ghost', prompt: 'x' })).rejects.toMatchObject(
      {
        code: 'invalid_input',
        message: expect.stringContaining(`image ${AGENT_IMAGE} has no \`no-such-agent\``),
        hint: expect.stringContaining('--image'),
      },
    );
    await core.agents.credentials.put('aider', { keys: { OPENAI_API_KEY: 'sk-test' } });
    await expect(
      core.service.create({ name: 'a', repo, agent: 'aider', prompt: 'x', image: DEFAULT_IMAGE }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/has no aider.*PyPI/),
    });
    await expect(
      core.service.create({ name: 'b', repo, agent: 'shell', image: BUSYBOX_IMAGE }),
    ).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/no tmux/) });
    await core.agents.credentials.delete('aider');
    await expectNothingMade(core, repo);
  });

  it('preflight: credentials not set up are refused naming `berth auth setup`; any one of several keys will do', async () => {
    const core = await agentCore({
      agents: {
        either: {
          command: ['berth-stand-in-agent'],
          image: AGENT_IMAGE,
          credentials: { keys: ['FIRST_KEY', 'SECOND_KEY'] },
        },
      },
    });
    const repo = makeRepo();
    await expect(
      core.service.create({ name: 'c', repo, agent: 'claude', prompt: 'x', image: DEFAULT_IMAGE }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining(
        "agent 'claude' has no credentials set up: it needs ~/.claude or ANTHROPIC_API_KEY",
      ),
      hint: expect.stringContaining('`berth auth setup claude`'),
    });
    await expect(
      core.service.create({ name: 'e', repo, agent: 'either', prompt: 'x' }),
    ).rejects.toMatchObject({
      message: expect.stringContaining('FIRST_KEY or SECOND_KEY'),
    });
    await expectNothingMade(core, repo);
    await core.agents.credentials.put('either', { keys: { SECOND_KEY: 'two' } });
    const s = await core.service.create({ name: 'e', repo, agent: 'either', prompt: 'key SECOND_KEY' });
    expect(s.status).toBe('running');
  });

  it('the first agent session that needs the agents installs them, its progress showing npm; the next one does not', async () => {
    const config = testConfig({ defaultImage: DEFAULT_IMAGE });
    // A profile whose program is the tool: `json5` from a one-package set (not the suite's big one).
    writeFileSync(config.configFile, JSON.stringify({ agents: { j: { command: ['json5'] } } }));
    const core = await openCore(config, silentLogger, {
      credentialsRoot: tempDir('berth-creds-', '/dev/shm'),
      agentTools: [json5('2.2.3')],
    });
    onTestFinished(async () => {
      await core.close();
      await removeContainersOf(config.home);
      await core.runtime.removeVolume(core.agents.tools.name);
    });
    await core.runtime.removeVolume(core.agents.tools.name);
    const lines: string[] = [];
    await core.service.create({ name: 'first', repo: makeRepo(), agent: 'j' }, (l) => lines.push(l));
    expect(lines.join('\n')).toMatch(/installing the agents \(json5 2\.2\.3\)[\s\S]*npm[\s\S]*berth: done/);
    const v = await core.service.exec('first', ['json5', '--version']);
    expect(v.stdout.toString()).toBe('2.2.3\n');
    const next: string[] = [];
    await core.service.create({ name: 'next', repo: makeRepo(), agent: 'j' }, (l) => next.push(l));
    expect(next.join('\n')).not.toMatch(/installing|npm/);
  });

  it('a fill that fails leaves no volume; two fills at once install once; a filled volume is read, not filled', async () => {
    const config = testConfig();
    const runtime = new DockerRuntime({ home: config.home });
    const deps = { runtime, config, logger: silentLogger };
    const tools = (version: string): AgentTool[] => [json5(version)];
    const bad = new AgentToolsVolume({ ...deps, tools: tools('0.0.0-berth-no-such-version') });
    onTestFinished(() => runtime.removeVolume(bad.name));
    const lines: string[] = [];
    await expect(bad.ensure((l) => lines.push(l))).rejects.toMatchObject({
      code: 'engine_error',
      message: expect.stringMatching(/installing the agents failed/),
    });
    expect(lines.join('\n')).toMatch(/npm/);
    expect(await runtime.inspectVolume(bad.name)).toBeNull();
    expect(await bad.installed()).toBeNull();

    const good = tools('2.2.3');
    const [a, b] = [
      new AgentToolsVolume({ ...deps, tools: good }),
      new AgentToolsVolume({ ...deps, tools: good }),
    ];
    onTestFinished(() => runtime.removeVolume(a.name));
    const la: string[] = [];
    const lb: string[] = [];
    const [ma, mb] = await Promise.all([a.ensure((l) => la.push(l)), b.ensure((l) => lb.push(l))]);
    expect(ma.tools).toEqual([
      expect.objectContaining({ bin: 'json5', version: '2.2.3', reported: '2.2.3' }),
    ]);
    expect(mb).toEqual(ma);
    // One of them installed; the other waited for it.
    expect([la, lb].filter((l) => l.some((x) => x.includes('berth: done')))).toHaveLength(1);
    expect([...la, ...lb].some((x) => x.includes('another berth is installing'))).toBe(true);
    const again: string[] = [];
    expect(await new AgentToolsVolume({ ...deps, tools: good }).ensure((l) => again.push(l))).toEqual(ma);
    expect(again).toEqual([]);
  });
});
