import { makeRepo } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

interface SessionJson {
  name: string;
  kind: string;
  runtime: string;
  limits: { cpus: number; memoryBytes: number; pids: number };
  idle: { timeoutSeconds: number; action: string };
}

describe('idle policy, profiles and runtime from the CLI', () => {
  it('new takes --kind, --pids, --idle-timeout and --idle-action; update changes the policy; show and stats tell', async () => {
    const cli = berthCli({ BERTH_GVISOR_RUNTIME: 'berth-test-no-such-runtime' });
    const repo = makeRepo();
    const s = await cli.json<SessionJson>(
      'new',
      'agentish',
      '--repo',
      repo,
      '--kind',
      'agent',
      '--pids',
      '300',
      '--idle-timeout',
      '10m',
      '--idle-action',
      'stop',
    );
    expect(s).toMatchObject({
      kind: 'agent',
      runtime: 'runc',
      limits: { cpus: 1, memoryBytes: 2 * 1024 ** 3, pids: 300 },
      idle: { timeoutSeconds: 600, action: 'stop' },
    });

    const shown = await cli.run('show', 'agentish');
    expect(shown.stdout).toMatch(/kind\s+agent/);
    expect(shown.stdout).toMatch(/idle\s+stopped after 10m without activity/);
    expect(shown.stdout).toMatch(/runtime\s+runc/);

    const updated = await cli.json<SessionJson>('update', 'agentish', '--idle-timeout', '0');
    expect(updated.idle).toEqual({ timeoutSeconds: 0, action: 'stop' });
    expect((await cli.run('show', 'agentish')).stdout).toMatch(/idle\s+never idles/);

    const stats = await cli.json<{ limits: SessionJson['limits']; pids: number }>('stats', 'agentish');
    expect(stats.limits).toEqual({ cpus: 1, memoryBytes: 2 * 1024 ** 3, pids: 300 });
    expect((await cli.run('stats', 'agentish')).stdout).toMatch(/% \/ 1 CPU.*\d+ \/ 300/s);

    const bad = await cli.run('update', 'agentish', '--idle-timeout', 'soon');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--idle-timeout "soon" is not a duration/);
    const nothing = await cli.run('update', 'agentish');
    expect(nothing.code).toBe(2);

    const gvisor = await cli.run('new', 'boxed', '--repo', repo, '--runtime', 'gvisor');
    expect(gvisor.code).not.toBe(0);
    expect(gvisor.stderr).toMatch(/not registered with the Docker Engine/);
    expect(gvisor.stderr).toMatch(/apt-get install runsc/);
    expect((await cli.run('show', 'boxed')).code).toBe(3);
  });

  it('doctor reports whether gVisor is available and how to get it', async () => {
    const cli = berthCli({ BERTH_GVISOR_RUNTIME: 'berth-test-no-such-runtime' });
    const r = await cli.run('doctor', '--json');
    const checks = (
      JSON.parse(r.stdout) as { checks: Array<{ name: string; detail: string; hint?: string }> }
    ).checks;
    const gvisor = checks.find((c) => c.name === 'gvisor');
    expect(gvisor?.detail).toMatch(/berth-test-no-such-runtime not registered/);
    expect(gvisor?.hint).toMatch(/apt-get install runsc/);
  });
});
