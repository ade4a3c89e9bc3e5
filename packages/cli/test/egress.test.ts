import { join } from 'node:path';
import { SqliteStore } from '@berth/core';
import { makeRepo } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it, onTestFinished } from 'vitest';

interface Report {
  egress: { mode: string; allow: string[] } | null;
  decisions: Array<{ host: string; port: number; allowed: boolean; reason: string; count: number }>;
}

describe('berth egress', () => {
  it('prints the policy and the decisions; an unfiltered session says so and what to do', async () => {
    const berth = berthCli();
    const made = await berth.run('new', 'net', '--repo', makeRepo());
    expect(made.code, made.stderr).toBe(0);
    const { id } = await berth.json<{ id: string }>('show', 'net');

    // The egress proxy is not yet wired into sessions: the decisions go into the daemon's
    // database directly, as its egress log writes them.
    const store = await SqliteStore.open(join(berth.home, 'berth.db'));
    onTestFinished(() => store.close());
    const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
    await store.egressLog.add([
      {
        sessionId: id,
        host: 'registry.example.org',
        port: 443,
        allowed: true,
        reason: 'on the allow-list',
        count: 7,
        firstAt: at(1),
        lastAt: at(5),
      },
      {
        sessionId: id,
        host: 'evil.example.net',
        port: 80,
        allowed: false,
        reason: 'not on the allow-list \u001b]52;c;aGk=\u0007',
        count: 2,
        firstAt: at(2),
        lastAt: at(3),
      },
    ]);
    // Whatever policy the daemon gave it, the command shows the one stored.
    await store.update(id, {
      egress: { mode: 'allowlist', allow: ['registry.example.org', '*.pkg.example'] },
    });

    const shown = await berth.run('egress', 'net');
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(/egress\s+allowlist: only the hosts on its allow-list/);
    expect(shown.stdout).toMatch(/allow-list\s+registry\.example\.org, \*\.pkg\.example/);
    const lines = shown.stdout.split('\n');
    const first = lines.findIndex((l) => l.startsWith('registry.example.org:443'));
    const second = lines.findIndex((l) => l.startsWith('evil.example.net:80'));
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(lines[first]).toMatch(/allowed\s+on the allow-list\s+7\s+2026-01-01T00:00:05.000Z/);
    expect(lines[second]).toMatch(/refused\s+not on the allow-list/);
    // What a session's traffic put into a host name or reason reaches the terminal inert.
    expect(shown.stdout).not.toContain('\u001b');

    const json = await berth.json<Report>('egress', 'net');
    expect(json.egress).toEqual({ mode: 'allowlist', allow: ['registry.example.org', '*.pkg.example'] });
    expect(json.decisions.map((d) => [d.host, d.port, d.allowed, d.count])).toEqual([
      ['registry.example.org', 443, true, 7],
      ['evil.example.net', 80, false, 2],
    ]);

    // A session made before egress filtering: on the shared network, unfiltered.
    await store.update(id, { egress: null });
    const old = await berth.run('egress', 'net');
    expect(old.code, old.stderr).toBe(0);
    expect(old.stdout).toContain('net is unfiltered');
    expect(old.stdout).toContain('shared network');
    expect(old.stdout).toContain('make a new session');
    expect((await berth.json<Report>('egress', 'net')).egress).toBeNull();

    const none = await berth.run('egress', 'nope');
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("no session named 'nope'");
    expect(none.stderr).toContain('→');
  });
});
