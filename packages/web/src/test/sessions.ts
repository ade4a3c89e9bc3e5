import type { Session, User } from '../api/types';

export const ADMIN: User = {
  id: 'u-admin',
  username: 'ann',
  role: 'admin',
  createdAt: '2025-01-01T00:00:00.000Z',
};

/** A session as the server sends it; `over` changes what a test cares about. */
export function makeSession(over: Partial<Session> = {}): Session {
  const name = over.name ?? 'fix-login';
  return {
    id: `id-${name}`,
    name,
    status: 'running',
    statusReason: null,
    repo: '/home/ann/src/shop',
    baseBranch: 'main',
    baseCommit: '0123456789abcdef0123456789abcdef01234567',
    branch: `berth/${name}`,
    image: 'berth/session:bookworm',
    containerId: 'c0ffee0123456789',
    workspacePath: `/var/lib/berth/${name}`,
    limits: { cpus: 2, memoryBytes: 2 * 1024 ** 3, pids: 512 },
    env: {},
    user: '1000:1000',
    ownerId: ADMIN.id,
    teamId: null,
    description: '',
    kind: 'shell',
    agent: null,
    task: null,
    agentStatus: null,
    agentStatusSince: null,
    agentExitCode: null,
    agentStatusSource: null,
    remote: null,
    hasSshKey: false,
    gitUser: { name: 'berth session', email: `${name}@sessions.berth.invalid` },
    runtime: 'runc',
    idle: { timeoutSeconds: 0, action: 'pause' },
    lastActivityAt: '2025-06-01T10:00:00.000Z',
    preview: null,
    egress: null,
    createdAt: '2025-06-01T10:00:00.000Z',
    updatedAt: '2025-06-01T10:00:00.000Z',
    ...over,
  };
}
