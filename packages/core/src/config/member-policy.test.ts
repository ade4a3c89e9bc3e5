import { availableParallelism, totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_SESSION_PIDS, memberPolicyFrom } from './member-policy.js';

describe("the operator's bounds on members", () => {
  it("default to the host's CPUs and memory, 4096 pids and berth's own images", () => {
    expect(memberPolicyFrom({})).toEqual({
      memberCeilings: {
        cpus: availableParallelism(),
        memoryBytes: totalmem(),
        pids: DEFAULT_MAX_SESSION_PIDS,
      },
      memberImages: null,
      repoRoots: [],
    });
    expect(DEFAULT_MAX_SESSION_PIDS).toBe(4096);
  });

  it('take the BERTH_MAX_SESSION_* variables and a comma-separated image list', () => {
    const p = memberPolicyFrom({
      BERTH_MAX_SESSION_CPUS: '1.5',
      BERTH_MAX_SESSION_MEMORY: '4g',
      BERTH_MAX_SESSION_PIDS: '1024',
      BERTH_MEMBER_IMAGES: 'berth/session:bookworm, team/node:20',
      BERTH_REPO_ROOTS: '/srv/repos:/home/team/,/data',
    });
    expect(p).toEqual({
      memberCeilings: { cpus: 1.5, memoryBytes: 4 * 1024 ** 3, pids: 1024 },
      memberImages: ['berth/session:bookworm', 'team/node:20'],
      repoRoots: ['/srv/repos', '/home/team', '/data'],
    });
  });

  it.each([
    ['BERTH_MAX_SESSION_CPUS', 'lots'],
    ['BERTH_MAX_SESSION_MEMORY', '1x'],
    ['BERTH_MAX_SESSION_PIDS', '2.5'],
    ['BERTH_REPO_ROOTS', '/srv/repos:relative/repos'],
  ])('refuses %s=%s naming the variable, with a hint', (key, value) => {
    expect(() => memberPolicyFrom({ [key]: value })).toThrowError(
      expect.objectContaining({
        code: 'invalid_input',
        message: expect.stringContaining(key),
        hint: expect.any(String),
      }),
    );
  });
});
