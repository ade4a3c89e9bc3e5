import { describe, expect, it } from 'vitest';
import { makeSession } from '../../test/sessions';
import { repoName } from './repo-name';
import { querySessions } from './session-query';

const sessions = [
  makeSession({
    name: 'beta',
    status: 'finished',
    createdAt: '2025-06-02T00:00:00Z',
    updatedAt: '2025-06-05T00:00:00Z',
  }),
  makeSession({ name: 'alpha', status: 'running', repo: '/src/Shop', createdAt: '2025-06-01T00:00:00Z' }),
  makeSession({ name: 'gamma', status: 'paused', repo: '/src/wiki', createdAt: '2025-06-03T00:00:00Z' }),
  makeSession({
    name: 'delta',
    status: 'running',
    repo: '/var/lib/berth/repos/5f2b.git',
    remote: 'git@example.test:team/Docs.git',
    createdAt: '2025-06-04T00:00:00Z',
    lastActivityAt: '2025-06-06T00:00:00Z',
  }),
];
const names = (q: Parameters<typeof querySessions>[1]) => querySessions(sessions, q).map((s) => s.name);

describe('querySessions', () => {
  it('sorts by creation, name, activity or status (live ones first)', () => {
    expect(names({ search: '', status: 'all', sort: 'newest' })).toEqual(['delta', 'gamma', 'beta', 'alpha']);
    expect(names({ search: '', status: 'all', sort: 'oldest' })).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    expect(names({ search: '', status: 'all', sort: 'name' })).toEqual(['alpha', 'beta', 'delta', 'gamma']);
    // Activity inside a session counts as much as a change to it.
    expect(names({ search: '', status: 'all', sort: 'activity' }).slice(0, 2)).toEqual(['delta', 'beta']);
    expect(names({ search: '', status: 'all', sort: 'status' })).toEqual(['alpha', 'delta', 'gamma', 'beta']);
  });

  it('searches name and repository, case-insensitively, and filters by status', () => {
    expect(names({ search: 'SHOP', status: 'all', sort: 'name' })).toEqual(['alpha', 'beta']);
    expect(names({ search: 'gam', status: 'all', sort: 'name' })).toEqual(['gamma']);
    expect(names({ search: 'team/docs', status: 'all', sort: 'name' })).toEqual(['delta']);
    expect(names({ search: '', status: 'paused', sort: 'name' })).toEqual(['gamma']);
  });

  it('keeps only the agents that wait for their person, and searches tasks', () => {
    const agents = [
      ...sessions,
      makeSession({ name: 'asking', kind: 'agent', agentStatus: 'needs-input', task: 'Fix the flaky test' }),
      makeSession({ name: 'busy', kind: 'agent', agentStatus: 'working', task: 'Write the docs' }),
    ];
    const q = { search: '', status: 'all', sort: 'name', needsMe: true } as const;
    expect(querySessions(agents, q).map((s) => s.name)).toEqual(['asking']);
    expect(querySessions(agents, { ...q, needsMe: false, search: 'docs' }).map((s) => s.name)).toEqual([
      'busy',
      'delta',
    ]);
  });
});

describe('repoName', () => {
  it('takes the last part of a path or URL', () => {
    expect(repoName('/home/ann/src/shop/')).toBe('shop');
    expect(repoName('git@github.com:ann/shop.git')).toBe('shop');
  });
});
