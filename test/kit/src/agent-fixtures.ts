import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { type BerthConfig, type Core, LABEL_HOME, type Logger, openCore } from '@berth/core';
import tarStream from 'tar-stream';
import { onTestFinished, vi } from 'vitest';
import { docker, removeContainersOf, tempDir, testConfig } from './fixtures.js';

/** Built by scripts/setup.mjs --for-tests from docker/test-agent. */
export const AGENT_IMAGE = 'berth-test/agent:1';

export const STAND_IN_PROFILE = {
  command: ['berth-stand-in-agent'],
  resume: ['berth-stand-in-agent', '--continue'],
  image: AGENT_IMAGE,
  credentials: {
    dir: { from: '~/.stand-in-creds', to: '/home/berth/.stand-in-creds' },
    keys: ['STAND_IN_KEY'],
    // The stand-in runs without them too: most tests set none up.
    required: false,
  },
};

export async function volumesOf(home: string) {
  const res = await docker.listVolumes({ filters: { label: [`${LABEL_HOME}=${home}`] } });
  return res.Volumes ?? [];
}

/** A core whose config file has the stand-in profile; credentials on a tmpfs dir of its own. */
export async function agentCore(
  extraConfig: Record<string, unknown> = {},
  logger?: Logger,
  overrides: Partial<BerthConfig> = {},
): Promise<Core> {
  const config = testConfig(overrides);
  writeFileSync(
    config.configFile,
    JSON.stringify({ agents: { 'stand-in': STAND_IN_PROFILE }, ...extraConfig }),
  );
  const credentialsRoot = tempDir('berth-creds-', '/dev/shm');
  const core = await openCore(config, logger, { credentialsRoot });
  onTestFinished(async () => {
    await core.close();
    // Containers, then their volumes.
    await removeContainersOf(config.home);
  });
  return core;
}

export async function capture(core: Core, name: string): Promise<string> {
  const r = await core.service.exec(name, ['tmux', 'capture-pane', '-p', '-J', '-S', '-200', '-t', 'agent']);
  return r.stdout.toString('utf8');
}

/** What the agent's terminal shows once it shows `text` (tried every 100 ms for 10 s). */
export async function waitForScreen(core: Core, name: string, text: string): Promise<string> {
  let screen = '';
  try {
    return await vi.waitFor(
      async () => {
        screen = await capture(core, name);
        if (!screen.includes(text)) throw new Error('not on screen yet');
        return screen;
      },
      { timeout: 10_000, interval: 100 },
    );
  } catch {
    throw new Error(`the agent's screen never showed ${JSON.stringify(text)}:\n${screen}`);
  }
}

export async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o600 }, body);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const c of pack) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** A value no image, log or response could hold by chance. */
export function uniqueSecret(prefix: string): string {
  return `${prefix}-${createHash('sha256').update(`${Math.random()}${Date.now()}`).digest('hex').slice(0, 32)}`;
}
