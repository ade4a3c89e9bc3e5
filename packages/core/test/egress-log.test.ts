import { join } from 'node:path';
import { tempDir, testDatabaseUrl } from '@berth/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  EGRESS_OVERFLOW_HOST,
  EgressLog,
  type EgressLogRow,
  type EgressLogStore,
  PostgresStore,
  type Session,
  type SessionName,
  SqliteStore,
  type Store,
  type StoreDialect,
} from '../src/index.js';

// The egress proxy is not yet wired to sessions: these tests feed EgressLog.record directly.

async function freshStore(dialect: StoreDialect): Promise<Store> {
  const store =
    dialect === 'sqlite'
      ? await SqliteStore.open(join(tempDir('berth-egress-log-'), 'berth.db'))
      : await PostgresStore.open(await testDatabaseUrl());
  onTestFinished(() => store.close());
  return store;
}

let seq = 0;
function session(name: string): Session {
  seq += 1;
  const at = new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString();
  return {
    id: `id-${name}-${seq}`,
    name: name as SessionName,
    status: 'running',
    statusReason: null,
    repo: '/srv/repo',
    baseBranch: 'main',
    baseCommit: 'a'.repeat(40),
    branch: `berth/${name}`,
    image: 'berth-test/busybox:1',
    containerId: null,
    workspacePath: null,
    limits: { cpus: 1, memoryBytes: 1024 ** 3, pids: 512 },
    env: {},
    user: '1000:1000',
    ownerId: null,
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
    lastActivityAt: at,
    preview: null,
    egress: { mode: 'allowlist', allow: ['example.org'] },
    createdAt: at,
    updatedAt: at,
  };
}

const row = (sessionId: string, over: Partial<EgressLogRow> = {}): EgressLogRow => ({
  sessionId,
  host: 'example.org',
  port: 443,
  allowed: true,
  reason: 'on the allow-list',
  count: 1,
  firstAt: '2025-01-01T00:00:01.000Z',
  lastAt: '2025-01-01T00:00:01.000Z',
  ...over,
});

describe.each<[StoreDialect]>([['sqlite'], ['postgres']])('the %s egress log store', (dialect) => {
  it('adds to counts, keeps the first time, takes the later last time and its reason', async () => {
    const store = await freshStore(dialect);
    const s = session('a');
    await store.insert(s);
    await store.egressLog.add([
      row(s.id),
      row(s.id, { allowed: false, reason: 'not on the allow-list', host: 'evil.test', port: 80 }),
    ]);
    // Seen again later with another reason, and once more with an earlier time in the same batch.
    await store.egressLog.add([
      row(s.id, {
        count: 4,
        reason: 'later reason',
        firstAt: '2025-01-01T00:00:05.000Z',
        lastAt: '2025-01-01T00:00:09.000Z',
      }),
      row(s.id, {
        count: 2,
        reason: 'earlier reason',
        firstAt: '2025-01-01T00:00:02.000Z',
        lastAt: '2025-01-01T00:00:03.000Z',
      }),
    ]);
    // An older row arriving late does not move last_at back nor take over the reason.
    await store.egressLog.add([
      row(s.id, { reason: 'stale', firstAt: '2025-01-01T00:00:00.500Z', lastAt: '2025-01-01T00:00:00.500Z' }),
    ]);
    const rows = await store.egressLog.list(s.id);
    expect(rows).toEqual([
      row(s.id, { count: 8, reason: 'later reason', lastAt: '2025-01-01T00:00:09.000Z' }),
      row(s.id, { allowed: false, reason: 'not on the allow-list', host: 'evil.test', port: 80 }),
    ]);
    expect(await store.egressLog.list(s.id, { limit: 1 })).toHaveLength(1);
    expect(await store.egressLog.list('nobody')).toEqual([]);
  });

  it('keeps allowed and refused apart, and drops a session’s rows when the session goes', async () => {
    const store = await freshStore(dialect);
    const a = session('a');
    const b = session('b');
    await store.insert(a);
    await store.insert(b);
    await store.egressLog.add([
      row(a.id),
      row(a.id, { allowed: false, reason: 'refused' }),
      row(b.id, { host: 'b.example.org' }),
      // A session that is not (or no longer) stored leaves nothing.
      row('gone', { host: 'orphan.example.org' }),
    ]);
    expect((await store.egressLog.list(a.id)).map((r) => r.allowed).sort()).toEqual([false, true]);
    await store.delete(a.id);
    expect(await store.egressLog.list(a.id)).toEqual([]);
    expect(await store.egressLog.list('gone')).toEqual([]);
    expect((await store.egressLog.list(b.id)).map((r) => r.host)).toEqual(['b.example.org']);
  });

  it('writes many rows at once, more than fit one statement', async () => {
    const store = await freshStore(dialect);
    const s = session('many');
    await store.insert(s);
    const many = Array.from({ length: 450 }, (_, i) => row(s.id, { host: `h${i}.example.org` }));
    await store.egressLog.add(many);
    await store.egressLog.add(many);
    const rows = await store.egressLog.list(s.id);
    expect(rows).toHaveLength(450);
    expect(rows.every((r) => r.count === 2)).toBe(true);
  });
});

/** A store that remembers what it was given (and can be made to fail). */
function memoryStore(): EgressLogStore & { adds: EgressLogRow[][]; failing: boolean } {
  const adds: EgressLogRow[][] = [];
  const rows = new Map<string, EgressLogRow>();
  return {
    adds,
    failing: false,
    async add(batch) {
      if (this.failing) throw new Error('database down');
      adds.push(batch.map((r) => ({ ...r })));
      for (const r of batch) {
        const k = `${r.sessionId} ${r.host} ${r.port} ${r.allowed}`;
        const hit = rows.get(k);
        if (!hit) rows.set(k, { ...r });
        else {
          hit.count += r.count;
          if (r.lastAt >= hit.lastAt) Object.assign(hit, { lastAt: r.lastAt, reason: r.reason });
        }
      }
    },
    async list(sessionId, opts) {
      return [...rows.values()]
        .filter((r) => r.sessionId === sessionId)
        .sort((x, y) => (x.lastAt < y.lastAt ? 1 : -1))
        .slice(0, opts?.limit);
    },
  };
}

const event = (over: Partial<Parameters<EgressLog['record']>[0]> = {}) => ({
  sessionId: 's1',
  host: 'example.org',
  port: 443,
  allowed: true,
  reason: 'on the allow-list',
  at: '2025-01-01T00:00:01.000Z',
  ...over,
});

describe('EgressLog', () => {
  it('counts decisions in memory and writes them at most about once a second', async () => {
    vi.useFakeTimers();
    onTestFinished(() => {
      vi.useRealTimers();
    });
    const store = memoryStore();
    const log = new EgressLog({ store });
    for (let i = 0; i < 1000; i++) log.record(event({ at: `2025-01-01T00:00:0${i % 10}.000Z` }));
    log.record(event({ allowed: false, reason: 'refused', host: 'evil.test' }));
    expect(store.adds).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(999);
    expect(store.adds).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(store.adds).toHaveLength(1);
    expect(store.adds[0]).toEqual([
      {
        sessionId: 's1',
        host: 'example.org',
        port: 443,
        allowed: true,
        reason: 'on the allow-list',
        count: 1000,
        firstAt: '2025-01-01T00:00:00.000Z',
        lastAt: '2025-01-01T00:00:09.000Z',
      },
      expect.objectContaining({ host: 'evil.test', allowed: false, count: 1 }),
    ]);
    // Nothing waiting: no timer, no write.
    await vi.advanceTimersByTimeAsync(5000);
    expect(store.adds).toHaveLength(1);
    log.record(event({ at: '2025-01-01T00:00:10.000Z' }));
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.adds).toHaveLength(2);
    await log.close();
  });

  it('report writes what is waiting first, newest first', async () => {
    const store = memoryStore();
    const log = new EgressLog({ store, flushMs: 60_000 });
    log.record(event({ host: 'old.example.org', at: '2025-01-01T00:00:01.000Z' }));
    log.record(event({ host: 'new.example.org', at: '2025-01-01T00:00:05.000Z' }));
    log.record(event({ sessionId: 'other', host: 'elsewhere.example.org' }));
    const report = await log.report('s1');
    expect(report.decisions.map((d) => d.host)).toEqual(['new.example.org', 'old.example.org']);
    expect(report.decisions[0]).toEqual({
      host: 'new.example.org',
      port: 443,
      allowed: true,
      reason: 'on the allow-list',
      count: 1,
      firstAt: '2025-01-01T00:00:05.000Z',
      lastAt: '2025-01-01T00:00:05.000Z',
    });
    await log.close();
  });

  it('caps the distinct keys one session has waiting, counting the rest under one overflow line', async () => {
    const store = memoryStore();
    const log = new EgressLog({ store, flushMs: 60_000, maxPendingPerSession: 10 });
    for (let i = 0; i < 10_000; i++) log.record(event({ host: `h${i}.example.org`, allowed: i % 2 === 0 }));
    // Another session is not held to the first one's cap.
    log.record(event({ sessionId: 'calm', host: 'calm.example.org' }));
    await log.flush();
    const rows = store.adds.flat();
    const mine = rows.filter((r) => r.sessionId === 's1');
    const overflow = mine.filter((r) => r.host === EGRESS_OVERFLOW_HOST);
    expect(mine.length).toBeLessThanOrEqual(12);
    expect(overflow.map((r) => [r.allowed, r.port]).sort()).toEqual([
      [false, 0],
      [true, 0],
    ]);
    expect(mine.reduce((n, r) => n + r.count, 0)).toBe(10_000);
    expect(rows.filter((r) => r.sessionId === 'calm')).toHaveLength(1);
    await log.close();
  });

  it('caps the distinct keys one session writes over time, not only per flush', async () => {
    const store = memoryStore();
    const log = new EgressLog({ store, flushMs: 60_000, maxPendingPerSession: 10, maxKeysPerSession: 25 });
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10; i++) log.record(event({ host: `r${round}-${i}.example.org` }));
      await log.flush();
    }
    // A host it wrote before is still counted under its own name.
    log.record(event({ host: 'r0-0.example.org' }));
    await log.flush();
    const hosts = new Set(store.adds.flat().map((r) => r.host));
    expect(hosts.size).toBe(26);
    expect(hosts.has(EGRESS_OVERFLOW_HOST)).toBe(true);
    expect((await log.report('s1')).decisions.find((d) => d.host === 'r0-0.example.org')?.count).toBe(2);
    expect(store.adds.flat().reduce((n, r) => n + r.count, 0)).toBe(101);
    await log.close();
  });

  it('keeps what a failed write held for the next one, and bounds long hosts and reasons', async () => {
    const store = memoryStore();
    const log = new EgressLog({ store, flushMs: 60_000 });
    store.failing = true;
    log.record(event({ host: 'x'.repeat(5000), reason: 'r'.repeat(5000) }));
    await log.flush();
    expect(store.adds).toHaveLength(0);
    store.failing = false;
    log.record(event({ host: 'x'.repeat(5000), reason: 'r'.repeat(5000) }));
    await log.close();
    expect(store.adds).toHaveLength(1);
    const [only] = store.adds[0]!;
    expect(only!.count).toBe(2);
    expect(only!.host.length).toBeLessThanOrEqual(255);
    expect(only!.reason.length).toBeLessThanOrEqual(300);
    // Closed: later decisions are not counted.
    log.record(event());
    await log.flush();
    expect(store.adds).toHaveLength(1);
  });
});
