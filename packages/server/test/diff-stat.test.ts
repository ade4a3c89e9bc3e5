import { diffStat } from '@berth/api';
import { makeRepo } from '@berth/testkit';
import { testServer } from '@berth/testkit/server';
import { describe, expect, it, vi } from 'vitest';

describe('GET /sessions/:name/diff', () => {
  it('answers the change size with the diff, and is not activity', async () => {
    const { core, inject } = await testServer();
    await core.service.create({ name: 'sized', repo: makeRepo() });
    await core.service.exec('sized', ['sh', '-c', 'printf "one\\ntwo\\n" > added.txt']);
    const noted = vi.spyOn(core.ledger, 'noteActivity');
    const r = await inject('/api/v1/sessions/sized/diff');
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json();
    expect(body.diff).toContain('+two');
    expect(body.stat).toEqual({ files: 1, additions: 2, deletions: 0 });
    expect(body.stat).toEqual(diffStat(body.diff));
    expect(noted).not.toHaveBeenCalled();
  });
});
