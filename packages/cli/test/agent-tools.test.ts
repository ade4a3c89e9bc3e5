/**
 * The agents volume from the CLI: `berth image status` and `berth doctor` say which agent versions
 * are installed, and `berth image agents` installs them (here: finds them installed, as setup or
 * core/test/agent-tools.test.ts filled the suite's shared volume). No daemon is needed for either.
 */

import { randomBytes } from 'node:crypto';
import { AGENT_TOOLS, agentsVolumeName, LABEL_MANAGED } from '@berth/core';
import { docker, makeRepo } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it, onTestFinished } from 'vitest';

interface AgentsJson {
  volume: string;
  pinned: Array<{ bin: string; version: string; needs: string }>;
  installed: { sizeBytes: number; tools: Array<{ bin: string; version: string; reported: string }> } | null;
}

describe('berth image agents / status', () => {
  it('installs the pinned agents once; status and doctor list their versions (--json too)', async () => {
    const cli = berthCli();
    // An older berth's set, which no session uses any more: --prune removes it.
    const old = `berth-agents-${randomBytes(6).toString('hex')}`;
    await docker.createVolume({
      Name: old,
      Labels: { [LABEL_MANAGED]: 'true', 'dev.berth.role': 'agents' },
    });
    onTestFinished(() =>
      docker
        .getVolume(old)
        .remove()
        .catch(() => undefined),
    );
    const install = await cli.run('image', 'agents', '--prune', '--json');
    expect(install.code, install.stderr).toBe(0);
    const installed = JSON.parse(install.stdout) as AgentsJson & { removed: string[] };
    expect(installed.removed).toContain(old);
    await expect(docker.getVolume(old).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(installed.volume).toBe(agentsVolumeName());
    expect(installed.installed?.tools.map((t) => `${t.bin}@${t.version}`)).toEqual(
      AGENT_TOOLS.map((t) => `${t.bin}@${t.version}`),
    );
    // Installed already: a second run installs nothing.
    const again = await cli.run('image', 'agents');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toMatch(/installing|npm/);
    expect(again.stdout).toMatch(
      /^agents claude 2\.\d+\.\d+, codex 0\.\d+\.\d+, gemini .*, opencode .* in volume berth-agents-[0-9a-f]{12} \(\d+ MiB\)\n$/,
    );

    const status = await cli.json<{ present: boolean; agents: AgentsJson }>(
      'image',
      'status',
      '--tag',
      'berth/session:bookworm',
    );
    expect(status.present).toBe(true);
    expect(status.agents.installed?.tools.find((t) => t.bin === 'codex')?.reported).toMatch(/^codex-cli /);
    expect(status.agents.pinned.map((t) => [t.bin, t.needs])).toEqual([
      ['claude', 'glibc'],
      ['codex', 'none'],
      ['gemini', 'node'],
      ['opencode', 'glibc'],
    ]);
    expect(status.agents.installed!.sizeBytes).toBeGreaterThan(100 * 1024 ** 2);
    const human = await cli.run('image', 'status', '--tag', 'berth/session:bookworm');
    expect(human.stdout).toContain(`in volume ${agentsVolumeName()}`);

    const doctor = await cli.json<{ checks: Array<{ name: string; status: string; detail: string }> }>(
      'doctor',
    );
    expect(doctor.checks.find((c) => c.name === 'agents')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('claude '),
    });
  });

  it('an agent whose credentials are not set up is refused with the command that sets them up, making nothing', async () => {
    const cli = berthCli();
    const repo = makeRepo();
    const r = await cli.run(
      'new',
      'c',
      '--repo',
      repo,
      '--agent',
      'claude',
      '--image',
      'berth/session:bookworm',
      '--prompt',
      'hi',
    );
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain("agent 'claude' has no credentials set up");
    expect(r.stderr).toContain('berth auth setup claude');
    expect(await cli.json<unknown[]>('ls', '--all')).toEqual([]);
  });
});
