import { join } from 'node:path';
import { tempDir, testDatabaseUrl } from '@berth/testkit';
import { Client } from 'pg';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  Conflict,
  LimitReached,
  loadConfig,
  NotFound,
  openStore,
  PostgresStore,
  SecretBox,
  Secrets,
  type Session,
  type SessionName,
  SqliteStore,
  type Store,
  type StoreDialect,
  StorePortAllocator,
  type TokenRecord,
  type UserRecord,
} from '../src/index.js';

/** A store on a fresh database of its kind, closed (and for PostgreSQL dropped) after the test. */
async function freshStore(dialect: StoreDialect): Promise<{ store: Store; restart(): Promise<Store> }> {
  let open: () => Promise<Store>;
  if (dialect === 'sqlite') {
    const file = join(tempDir('berth-store-'), 'berth.db');
    open = () => SqliteStore.open(file);
  } else {
    const url = await testDatabaseUrl();
    open = () => PostgresStore.open(url);
  }
  let current: Store | null = await open();
  onTestFinished(async () => {
    await current?.close();
  });
  return {
    store: current,
    async restart() {
      await current?.close();
      current = null;
      current = await open();
      return current;
    },
  };
}

let seq = 0;
function session(name: string, over: Partial<Session> = {}): Session {
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
    // Past 2^31 bytes and not a float32: the columns must hold both exactly.
    limits: { cpus: 1 / 3, memoryBytes: 8 * 1024 ** 3 + 1, pids: 512 },
    env: { GREETING: 'hé "there"' },
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
    egress: null,
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}

function user(username: string, over: Partial<UserRecord> = {}): UserRecord {
  return {
    id: `u-${username}`,
    username,
    passwordHash: null,
    role: 'member',
    createdAt: '2025-01-01T00:00:00.000Z',
    ...over,
  };
}

function token(id: string, userId: string, over: Partial<TokenRecord> = {}): TokenRecord {
  return {
    id,
    userId,
    kind: 'api',
    name: id,
    tokenHash: `hash-${id}`,
    createdAt: '2025-01-01T00:00:00.000Z',
    expiresAt: null,
    lastUsedAt: null,
    revokedAt: null,
    ...over,
  };
}

describe.each<[StoreDialect]>([['sqlite'], ['postgres']])('the %s store', (dialect) => {
  describe('sessions', () => {
    it('gives back exactly the session it was given, by id and by name', async () => {
      const { store } = await freshStore(dialect);
      expect(store.dialect).toBe(dialect);
      const s = session('alpha', {
        containerId: 'c1',
        workspacePath: '/w/alpha',
        statusReason: 'why not',
        ownerId: 'u1',
        teamId: 't1',
        description: 'does things',
        egress: { mode: 'allowlist', allow: ['example.org', '*.example.net:8443'] },
      });
      await store.insert(s);
      expect(await store.get(s.id)).toEqual(s);
      expect(await store.getByName('alpha')).toEqual(s);
      expect(await store.get('nope')).toBeNull();
      expect(await store.getByName('nope')).toBeNull();
    });

    it('refuses a second session with a taken name as a Conflict and keeps the first', async () => {
      const { store } = await freshStore(dialect);
      const first = session('taken');
      await store.insert(first);
      const err = await store.insert(session('taken')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Conflict);
      expect(err).toMatchObject({ code: 'conflict', message: "a session named 'taken' already exists" });
      expect(await store.list()).toEqual([first]);
      // The store is still usable after the refused insert.
      await store.insert(session('other'));
      expect(await store.list()).toHaveLength(2);
    });

    it('lists by creation time then name, and filters by status', async () => {
      const { store } = await freshStore(dialect);
      const at = '2025-02-01T00:00:00.000Z';
      const b = session('b-two', { createdAt: at, status: 'paused' });
      const a = session('a-one', { createdAt: at });
      const z = session('z-early', { createdAt: '2025-01-31T00:00:00.000Z', status: 'stopped' });
      const dash = session('a1', { createdAt: at, status: 'failed' });
      for (const s of [b, a, z, dash]) await store.insert(s);
      // Bytewise: '-' sorts before '1', whatever the database's locale.
      expect((await store.list()).map((s) => s.name)).toEqual(['z-early', 'a-one', 'a1', 'b-two']);
      expect((await store.list({ statuses: ['paused', 'stopped'] })).map((s) => s.name)).toEqual([
        'z-early',
        'b-two',
      ]);
      expect(await store.list({ statuses: [] })).toHaveLength(4);
    });

    it('update changes only the patched fields and returns the session', async () => {
      const { store } = await freshStore(dialect);
      const s = session('upd');
      await store.insert(s);
      const patched = await store.update(s.id, {
        status: 'paused',
        containerId: 'c9',
        limits: { cpus: 2.5, memoryBytes: 3 * 1024 ** 3, pids: 64 },
        env: {},
        updatedAt: '2025-03-01T00:00:00.000Z',
      });
      const want: Session = {
        ...s,
        status: 'paused',
        containerId: 'c9',
        limits: { cpus: 2.5, memoryBytes: 3 * 1024 ** 3, pids: 64 },
        env: {},
        updatedAt: '2025-03-01T00:00:00.000Z',
      };
      expect(patched).toEqual(want);
      expect(await store.get(s.id)).toEqual(want);
      expect(await store.update(s.id, {})).toEqual(want);
      await store.update(s.id, { containerId: null, statusReason: 'stopped by hand' });
      expect(await store.get(s.id)).toMatchObject({ containerId: null, statusReason: 'stopped by hand' });
      await expect(store.update('missing', { status: 'stopped' })).rejects.toBeInstanceOf(NotFound);
    });

    it('counts sessions in the given statuses, over all, one owner or one team', async () => {
      const { store } = await freshStore(dialect);
      await store.insert(session('c1', { ownerId: 'ann', teamId: 'red' }));
      await store.insert(session('c2', { ownerId: 'ann', status: 'paused' }));
      await store.insert(session('c3', { ownerId: 'bob', teamId: 'red' }));
      await store.insert(session('c4', { ownerId: 'bob', status: 'finished' }));
      await store.insert(session('c5'));
      const live = ['running', 'paused'] as const;
      expect(await store.count(live)).toBe(4);
      expect(await store.count(['running'])).toBe(3);
      expect(await store.count(live, { ownerId: 'ann' })).toBe(2);
      expect(await store.count(live, { ownerId: 'bob' })).toBe(1);
      expect(await store.count(live, { teamId: 'red' })).toBe(2);
      expect(await store.count(live, { ownerId: 'ann', teamId: 'red' })).toBe(1);
      expect(await store.count(['finished', 'failed'])).toBe(1);
      expect(await store.count(['cancelled'])).toBe(0);
      expect(await store.count([])).toBe(0);
    });

    it('delete removes one session, and deleting an unknown one is no error', async () => {
      const { store } = await freshStore(dialect);
      const gone = session('gone');
      const kept = session('kept');
      await store.insert(gone);
      await store.insert(kept);
      await store.delete(gone.id);
      await store.delete(gone.id);
      expect(await store.get(gone.id)).toBeNull();
      expect(await store.list()).toEqual([kept]);
      // The name is free again.
      await store.insert(session('gone'));
    });
  });

  describe('accounts', () => {
    it('stores users, finds them by id and name and lists them by name', async () => {
      const { store } = await freshStore(dialect);
      const { accounts } = store;
      expect(await accounts.countUsers()).toBe(0);
      const ann = user('ann', { role: 'admin', passwordHash: '$argon2id$x' });
      const dot = user('a.z');
      const bob = user('bob');
      for (const u of [bob, ann, dot]) await accounts.insertUser(u);
      expect(await accounts.countUsers()).toBe(3);
      expect(await accounts.getUser(ann.id)).toEqual(ann);
      expect(await accounts.getUserByName('bob')).toEqual(bob);
      expect(await accounts.getUser('nobody')).toBeNull();
      expect(await accounts.getUserByName('nobody')).toBeNull();
      expect((await accounts.listUsers()).map((u) => u.username)).toEqual(['a.z', 'ann', 'bob']);
    });

    it('refuses a taken username as a Conflict', async () => {
      const { store } = await freshStore(dialect);
      await store.accounts.insertUser(user('ann'));
      const err = await store.accounts.insertUser(user('ann', { id: 'u-other' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Conflict);
      expect(err).toMatchObject({ message: "a user named 'ann' already exists" });
      expect(await store.accounts.countUsers()).toBe(1);
    });

    it('sets one user’s password and role', async () => {
      const { store } = await freshStore(dialect);
      const { accounts } = store;
      await accounts.insertUser(user('ann'));
      await accounts.insertUser(user('bob'));
      await accounts.setPassword('u-ann', '$argon2id$new');
      await accounts.setRole('u-ann', 'admin');
      expect(await accounts.getUser('u-ann')).toMatchObject({ passwordHash: '$argon2id$new', role: 'admin' });
      expect(await accounts.getUser('u-bob')).toMatchObject({ passwordHash: null, role: 'member' });
    });

    it('finds tokens by hash, lists only api tokens, touches and revokes them once', async () => {
      const { store } = await freshStore(dialect);
      const { accounts } = store;
      await accounts.insertUser(user('ann'));
      await accounts.insertUser(user('bob'));
      const cli = token('t-cli', 'u-ann', { createdAt: '2025-01-02T00:00:00.000Z' });
      const ci = token('t-ci', 'u-ann', { createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '2026-01-01' });
      const web = token('t-web', 'u-ann', { kind: 'web' });
      const bobs = token('t-bob', 'u-bob');
      for (const t of [cli, ci, web, bobs]) await accounts.insertToken(t);
      expect(await accounts.getTokenByHash('hash-t-cli')).toEqual(cli);
      expect(await accounts.getToken('t-web')).toEqual(web);
      expect(await accounts.getTokenByHash('hash-none')).toBeNull();
      expect(await accounts.listTokens('u-ann')).toEqual([ci, cli]);

      await accounts.touchToken('t-cli', '2025-05-05T00:00:00.000Z');
      expect((await accounts.getToken('t-cli'))?.lastUsedAt).toBe('2025-05-05T00:00:00.000Z');
      await accounts.revokeToken('t-cli', '2025-06-01T00:00:00.000Z');
      await accounts.revokeToken('t-cli', '2025-07-01T00:00:00.000Z');
      expect((await accounts.getToken('t-cli'))?.revokedAt).toBe('2025-06-01T00:00:00.000Z');
      expect((await accounts.getToken('t-ci'))?.revokedAt).toBeNull();
    });

    it('stores teams, refuses a taken team name, and keeps memberships', async () => {
      const { store } = await freshStore(dialect);
      const { accounts } = store;
      await accounts.insertUser(user('ann'));
      await accounts.insertUser(user('bob'));
      const red = { id: 't-red', name: 'red', createdAt: '2025-01-01T00:00:00.000Z' };
      const blue = { id: 't-blue', name: 'blue', createdAt: '2025-01-01T00:00:00.000Z' };
      await accounts.insertTeam(red);
      await accounts.insertTeam(blue);
      const err = await accounts.insertTeam({ ...red, id: 't-red2' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Conflict);
      expect(err).toMatchObject({ message: "a team named 'red' already exists" });
      expect(await accounts.getTeamByName('red')).toEqual(red);
      expect(await accounts.getTeamByName('green')).toBeNull();
      expect(await accounts.listTeams()).toEqual([blue, red]);

      await accounts.addMember('t-red', 'u-ann');
      await accounts.addMember('t-red', 'u-ann');
      await accounts.addMember('t-red', 'u-bob');
      await accounts.addMember('t-blue', 'u-ann');
      expect((await accounts.membersOf('t-red')).sort()).toEqual(['u-ann', 'u-bob']);
      expect((await accounts.teamsOf('u-ann')).sort()).toEqual(['t-blue', 't-red']);
      await accounts.removeMember('t-red', 'u-ann');
      await accounts.removeMember('t-red', 'u-ann');
      expect(await accounts.membersOf('t-red')).toEqual(['u-bob']);
      expect(await accounts.teamsOf('u-ann')).toEqual(['t-blue']);
      expect(await accounts.membersOf('t-none')).toEqual([]);
    });
  });

  describe('audit trail', () => {
    it('lists newest first with whole-number ids, pages with before, filters by session', async () => {
      const { store } = await freshStore(dialect);
      for (const [i, name] of ['a', 'b', 'a', null, 'a'].entries()) {
        await store.audit.append({
          at: `2025-01-01T00:00:0${i}.000Z`,
          actor: i % 2 ? 'user:ann' : 'local',
          action: `act${i}`,
          sessionId: name && `id-${name}`,
          sessionName: name,
          outcome: i === 3 ? 'refused' : 'ok',
          detail: i === 1 ? 'why' : '',
        });
      }
      const all = await store.audit.list({ limit: 10 });
      expect(all.map((e) => e.action)).toEqual(['act4', 'act3', 'act2', 'act1', 'act0']);
      for (const e of all) expect(Number.isInteger(e.id) && typeof e.id === 'number').toBe(true);
      expect(all[3]).toEqual({
        id: all[3]!.id,
        at: '2025-01-01T00:00:01.000Z',
        actor: 'user:ann',
        action: 'act1',
        sessionId: 'id-b',
        sessionName: 'b',
        outcome: 'ok',
        detail: 'why',
      });
      expect(all[1]).toMatchObject({ sessionId: null, sessionName: null, outcome: 'refused' });

      const page1 = await store.audit.list({ limit: 2 });
      const page2 = await store.audit.list({ limit: 2, before: page1[1]!.id });
      expect([...page1, ...page2].map((e) => e.action)).toEqual(['act4', 'act3', 'act2', 'act1']);
      expect(
        (await store.audit.list({ limit: 10, sessionName: 'a', before: all[0]!.id })).map((e) => e.action),
      ).toEqual(['act2', 'act0']);
      expect(await store.audit.list({ limit: 10, sessionName: 'zzz' })).toEqual([]);
    });
  });

  describe('port leases and secrets', () => {
    it('gives 20 sessions 20 distinct ports, keeps them across a restart, and frees one on release', async () => {
      const harness = await freshStore(dialect);
      const clock = { now: () => new Date('2025-01-01T00:00:00.000Z') };
      const range = { from: 47100, to: 47199 };
      // Every port counts as free on the host: this test is about the leases, not the probe.
      const allocator = new StorePortAllocator(harness.store, range, clock, async () => true);
      const ids = Array.from({ length: 20 }, (_, i) => `s${i}`);
      const leases = await Promise.all(ids.map((id) => allocator.lease(id)));
      const ports = leases.map((l) => l.port);
      expect(new Set(ports).size).toBe(20);
      expect(ports.every((p) => p >= range.from && p <= range.to)).toBe(true);
      // Asking again is idempotent.
      expect(await allocator.lease('s3')).toEqual(leases[3]);

      const store = await harness.restart();
      const again = new StorePortAllocator(store, range, clock, async () => true);
      expect(new Map((await again.leases()).map((l) => [l.sessionId, l.port]))).toEqual(
        new Map(leases.map((l) => [l.sessionId, l.port])),
      );
      await again.release('s0');
      const fresh = await again.lease('s-new');
      expect(fresh.port).toBe(leases[0]!.port);
      expect(await store.insertLease({ sessionId: 's-other', port: leases[1]!.port }, 'now')).toBe(false);
    });

    it('says so when the range is used up, and skips ports busy on the host', async () => {
      const { store } = await freshStore(dialect);
      const clock = { now: () => new Date() };
      const busy = new Set([47201]);
      const allocator = new StorePortAllocator(
        store,
        { from: 47200, to: 47202 },
        clock,
        async (p) => !busy.has(p),
      );
      expect((await allocator.lease('a')).port).toBe(47200);
      expect((await allocator.lease('b')).port).toBe(47202);
      await expect(allocator.lease('c')).rejects.toBeInstanceOf(LimitReached);
    });

    it('keeps only ciphertext, bound to its scope and name', async () => {
      const { store } = await freshStore(dialect);
      const box = SecretBox.fromKey(Buffer.alloc(32, 7));
      const secrets = new Secrets(box, store, { now: () => new Date('2025-01-01T00:00:00.000Z') });
      const value = '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret-material\n';
      await secrets.put('session:s1', 'ssh-key', value);
      expect((await secrets.get('session:s1', 'ssh-key'))?.toString()).toBe(value);
      const raw = await store.getSecret('session:s1', 'ssh-key');
      expect(raw).not.toContain('secret-material');
      expect(Buffer.from(raw!.split('.')[3]!, 'base64url').toString()).not.toContain('secret-material');
      // The same ciphertext under another name does not open.
      await store.putSecret('session:s2', 'ssh-key', raw!, 'now');
      await expect(secrets.get('session:s2', 'ssh-key')).rejects.toThrow();
      // Another key does not open it either.
      const other = new Secrets(SecretBox.fromKey(Buffer.alloc(32, 8)), store, { now: () => new Date() });
      await expect(other.get('session:s1', 'ssh-key')).rejects.toThrow();
      expect(await secrets.list('session:s1')).toEqual([
        { name: 'ssh-key', createdAt: '2025-01-01T00:00:00.000Z' },
      ]);
      await secrets.put('session:s1', 'ssh-key', 'replaced');
      expect((await secrets.get('session:s1', 'ssh-key'))?.toString()).toBe('replaced');
      await secrets.delete('session:s1');
      expect(await secrets.get('session:s1', 'ssh-key')).toBeNull();
      expect(await secrets.list('session:s1')).toEqual([]);
    });
  });

  it('keeps everything across closing and reopening the store (a restart)', async () => {
    const harness = await freshStore(dialect);
    let store = harness.store;
    const s = session('durable', { ownerId: 'u-ann' });
    await store.insert(s);
    await store.accounts.insertUser(user('ann', { role: 'admin' }));
    await store.accounts.insertToken(token('t1', 'u-ann'));
    await store.accounts.insertTeam({ id: 't-red', name: 'red', createdAt: '2025-01-01T00:00:00.000Z' });
    await store.accounts.addMember('t-red', 'u-ann');
    await store.audit.append({
      at: '2025-01-01T00:00:00.000Z',
      actor: 'user:ann',
      action: 'create',
      sessionId: s.id,
      sessionName: s.name,
      outcome: 'ok',
      detail: '',
    });
    const [before] = await store.audit.list({ limit: 1 });

    store = await harness.restart();
    expect(await store.getByName('durable')).toEqual(s);
    expect(await store.count(['running'], { ownerId: 'u-ann' })).toBe(1);
    expect(await store.accounts.getUserByName('ann')).toMatchObject({ role: 'admin' });
    expect(await store.accounts.getTokenByHash('hash-t1')).toMatchObject({ id: 't1' });
    expect(await store.accounts.teamsOf('u-ann')).toEqual(['t-red']);
    expect(await store.audit.list({ limit: 10 })).toEqual([before]);
    // Ids go on growing after the restart.
    await store.audit.append({ ...before!, action: 'finish' });
    const [after] = await store.audit.list({ limit: 1 });
    expect(after!.id).toBeGreaterThan(before!.id);
    // The name is still taken.
    await expect(store.insert(session('durable'))).rejects.toBeInstanceOf(Conflict);
  });
});

describe('choosing and opening a store', () => {
  it('SQLite passes its integrity check', async () => {
    const store = await SqliteStore.open(join(tempDir('berth-store-'), 'berth.db'));
    onTestFinished(() => store.close());
    expect(store.integrityCheck()).toBe('ok');
  });

  it('openStore opens SQLite at databaseFile, or PostgreSQL when databaseUrl is set', async () => {
    const home = tempDir('berth-home-');
    const sqlite = await openStore(loadConfig({ BERTH_HOME: home }));
    onTestFinished(() => sqlite.close());
    expect(sqlite).toBeInstanceOf(SqliteStore);

    const url = await testDatabaseUrl();
    const postgres = await openStore(loadConfig({ BERTH_HOME: home, BERTH_DATABASE_URL: url }));
    onTestFinished(() => postgres.close());
    expect(postgres).toBeInstanceOf(PostgresStore);
    expect(postgres.dialect).toBe('postgres');
  });

  it('BERTH_DATABASE_URL must be a PostgreSQL URL, and the error does not repeat it', () => {
    const load = (url: string) => loadConfig({ BERTH_HOME: '/x', BERTH_DATABASE_URL: url });
    expect(load('postgres://u:p@db:5432/berth').databaseUrl).toBe('postgres://u:p@db:5432/berth');
    expect(load('postgresql://db/berth').databaseUrl).toBe('postgresql://db/berth');
    expect(loadConfig({ BERTH_HOME: '/x' }).databaseUrl).toBeUndefined();
    expect(loadConfig({ BERTH_HOME: '/x', BERTH_DATABASE_URL: '' }).databaseUrl).toBeUndefined();
    expect(() => load('mysql://u:hunter2@db/berth')).toThrow(
      'BERTH_DATABASE_URL must start with postgres:// or postgresql:// (it starts with mysql://)',
    );
    expect(() => load('hunter2')).toThrow(/^BERTH_DATABASE_URL must start with postgres:\/\/[^(]*$/);
    expect(() => load('postgres://u:p@[bad/berth')).toThrow('BERTH_DATABASE_URL is not a valid URL');
    let err: unknown;
    try {
      load('mysql://u:hunter2@db/berth');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'invalid_input', hint: expect.stringContaining('postgres://') });
    expect(String((err as Error).message)).not.toContain('hunter2');
  });

  it('an unreachable PostgreSQL is a clear error that hides the password', async () => {
    const err = (await PostgresStore.open('postgres://berth:hunter2@127.0.0.1:1/berth').catch(
      (e: unknown) => e,
    )) as Error & { hint?: string };
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(
      /^could not reach PostgreSQL at postgres:\/\/berth:\*\*\*@127\.0\.0\.1:1\/berth/,
    );
    expect(err.message).not.toContain('hunter2');
    expect(err.hint).toContain('BERTH_DATABASE_URL');
  });

  it("PostgreSQL keeps berth's tables in the connection's schema, beside another berth's", async () => {
    const url = await testDatabaseUrl();
    const client = new Client({ connectionString: url });
    await client.connect();
    onTestFinished(() => client.end());
    await client.query('create schema team_b');

    const a = await PostgresStore.open(url);
    onTestFinished(() => a.close());
    const inB = new URL(url);
    inB.searchParams.set('options', '-c search_path=team_b');
    const b = await PostgresStore.open(inB.toString());
    onTestFinished(() => b.close());

    await a.insert(session('same-name'));
    await b.insert(session('same-name'));
    expect(await a.list()).toHaveLength(1);
    expect(await b.list()).toHaveLength(1);
    const { rows } = await client.query<{ table_schema: string }>(
      "select table_schema from information_schema.tables where table_name in ('sessions', 'kysely_migration') order by 1",
    );
    expect(rows.map((r) => r.table_schema)).toEqual(['public', 'public', 'team_b', 'team_b']);
  });
});
