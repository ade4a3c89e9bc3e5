import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUSYBOX_IMAGE,
  containersOf,
  git,
  makeBareRemote,
  makeRepo,
  pushToRemote,
  SESSION_IMAGE,
  sshdForSuite,
  sshdMissing,
  sshKeyPair,
  type TestSshd,
  tempDir,
  testCore,
} from '@berth/testkit';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseRemote } from '../src/workspace/remote-repos.js';
import { parseSshKey } from '../src/workspace/ssh-key.js';

const reposOf = (home: string) => {
  const dir = join(home, 'repos');
  return existsSync(dir) ? readdirSync(dir) : [];
};

describe('remote addresses and keys: parsed strictly', () => {
  it('tells URLs from local paths, keeps no credentials, refuses other transports', () => {
    expect(parseRemote('/srv/repo')).toBeNull();
    expect(parseRemote('./a/b:c')).toBeNull();
    expect(parseRemote('relative/dir')).toBeNull();
    expect(parseRemote('git@example.com:org/repo.git')).toEqual({
      url: 'git@example.com:org/repo.git',
      kind: 'ssh',
    });
    expect(parseRemote('ssh://git@example.com:2222/org/repo.git')).toEqual({
      url: 'ssh://git@example.com:2222/org/repo.git',
      kind: 'ssh',
    });
    expect(parseRemote('HTTPS://Example.com/org/repo.git')?.url).toBe('https://example.com/org/repo.git');
    expect(parseRemote('file:///srv/x.git')).toEqual({ url: 'file:///srv/x.git', kind: 'file' });
    for (const bad of [
      'ext::sh -c touch% /tmp/pwned',
      'fd::3',
      'git://example.com/r.git',
      'http://example.com/r.git',
      'https://user:secret@example.com/r.git',
      'https://ghp_token@example.com/r.git',
      'ssh://git:pw@example.com/r.git',
      'ssh://-oProxyCommand=x/r.git',
      'https://example.com/r.git?x=1',
      'file://otherhost/srv/x.git',
      'git@example.com:-oProxyCommand=x',
    ]) {
      expect(() => parseRemote(bad), bad).toThrow(expect.objectContaining({ code: 'invalid_input' }));
    }
    // The refusal never repeats the password.
    try {
      parseRemote('https://user:hunter2@example.com/r.git');
    } catch (err) {
      expect(String((err as Error).message)).not.toContain('hunter2');
    }
  });

  it('takes unencrypted OpenSSH and PEM private keys; refuses public keys, junk and passphrases', () => {
    const dir = tempDir('berth-keys-');
    const ed = sshKeyPair(tempDir('berth-keys-'));
    expect(parseSshKey(ed.priv)).toBe(`${ed.priv.trim()}\n`);
    expect(parseSshKey(ed.priv.replace(/\n/g, '\r\n'))).toBe(`${ed.priv.trim()}\n`);
    expect(() => parseSshKey(sshKeyPair(dir, ['-t', 'rsa', '-b', '2048', '-m', 'PEM']).priv)).not.toThrow();
    expect(() => parseSshKey(sshKeyPair(dir, ['-t', 'ecdsa', '-m', 'PKCS8']).priv)).not.toThrow();
    const refusals: Array<[string, RegExp]> = [
      [ed.pub, /public key/],
      ['hello world', /not a private key/],
      ['', /empty/],
      [ed.priv.replace(/[A-Za-z0-9+/]{20}\n/, 'AAAA\n'), /damaged|not a private key/],
    ];
    const encrypted = join(dir, 'enc');
    // ssh-keygen writes an OpenSSH key protected by a passphrase: its cipher is not "none".
    sshKeygen(['-q', '-t', 'ed25519', '-N', 'sesame', '-f', encrypted]);
    refusals.push([readFileSync(encrypted, 'utf8'), /passphrase/]);
    const pemEnc = join(dir, 'pemenc');
    sshKeygen(['-q', '-t', 'rsa', '-b', '2048', '-m', 'PEM', '-N', 'sesame', '-f', pemEnc]);
    refusals.push([readFileSync(pemEnc, 'utf8'), /passphrase/]);
    for (const [key, why] of refusals) {
      let message = '';
      try {
        parseSshKey(key);
      } catch (err) {
        expect((err as { code?: string }).code).toBe('invalid_input');
        message = (err as Error).message;
      }
      expect(message).toMatch(why);
      if (key.length > 40) expect(message).not.toContain(key.slice(40, 80));
    }
  });
});

function sshKeygen(args: string[]): void {
  execFileSync('ssh-keygen', args);
}

describe('sessions from a remote over file://', () => {
  it('clones once, fetches before each session, and finish --push puts berth/NAME on the remote', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const bare = makeBareRemote({ 'README.md': '# from the remote\n' });
    const url = `file://${bare}`;
    const steps1: string[] = [];
    const one = await core.service.create(
      { name: 'first', repo: url, gitUser: { name: 'Ada Lovelace', email: 'ada@example.com' } },
      (p) => steps1.push(p),
    );
    expect(steps1).toContain(`cloning ${url}`);
    expect(one.remote).toBe(url);
    expect(one.repo.startsWith(join(core.config.home, 'repos'))).toBe(true);
    expect(one.gitUser).toEqual({ name: 'Ada Lovelace', email: 'ada@example.com' });
    expect(one.baseBranch).toBe('main');
    const seen = await core.service.exec('first', ['cat', 'README.md']);
    expect(seen.stdout.toString()).toBe('# from the remote\n');
    // The working copy's history comes from the cache's objects, mounted read-only.
    const log = await core.service.exec('first', ['git', 'log', '--format=%s']);
    expect(log.exitCode, log.stderr.toString()).toBe(0);
    expect(log.stdout.toString()).toBe('initial\n');
    expect(reposOf(core.config.home)).toHaveLength(1);

    // Someone pushes to the remote: the next session sees it, from the same cache.
    const pushed = pushToRemote(bare, { 'NEWS.md': 'news\n' }, 'Add news');
    const steps2: string[] = [];
    const two = await core.service.create({ name: 'second', repo: url }, (p) => steps2.push(p));
    expect(steps2).toContain(`fetching ${url}`);
    expect(steps2.some((s) => s.startsWith('cloning'))).toBe(false);
    expect(two.repo).toBe(one.repo);
    expect(two.baseCommit).toBe(pushed);
    expect((await core.service.exec('second', ['cat', 'NEWS.md'])).stdout.toString()).toBe('news\n');
    expect(reposOf(core.config.home)).toHaveLength(1);

    const w = await core.service.exec('first', ['sh', '-c', 'echo work > work.txt']);
    expect(w.exitCode).toBe(0);
    const d = await core.service.diff('first');
    expect(d.diff).toContain('+work');
    const done = await core.service.finish('first', 'Do the work', { push: true });
    expect(done.status).toBe('finished');
    expect(done.statusReason).toContain(`pushed to ${url}`);
    expect(done.hasSshKey).toBe(false);
    const onRemote = git(bare, 'ls-remote', bare, 'refs/heads/berth/first').split('\t')[0];
    expect(onRemote).toMatch(/^[0-9a-f]{40}$/);
    expect(git(bare, 'show', 'berth/first:work.txt')).toBe('work');
    // The session's identity is on the commit finish made.
    expect(git(bare, 'log', '-1', '--format=%an <%ae>|%cn <%ce>|%s', 'berth/first')).toBe(
      'Ada Lovelace <ada@example.com>|Ada Lovelace <ada@example.com>|Do the work',
    );
    // The remote's main did not move; the cache keeps the branch too.
    expect(git(bare, 'rev-parse', 'main')).toBe(pushed);
    expect(git(one.repo, 'rev-parse', 'refs/heads/berth/first')).toBe(onRemote);
    expect(git(one.repo, 'for-each-ref', `refs/berth/sessions/${one.id}`)).toBe('');

    await core.service.cancel('second');
    expect(git(one.repo, 'branch', '--list', 'berth/second')).toBe('');
    expect(await containersOf(core.config.home)).toHaveLength(0);
  });

  it('sessions made at once from a new remote share one clone', async () => {
    const core = await testCore();
    const url = `file://${makeBareRemote()}`;
    const steps: string[] = [];
    const made = await Promise.all(
      ['par-a', 'par-b', 'par-c'].map((name) =>
        core.service.create({ name, repo: url }, (p) => steps.push(p)),
      ),
    );
    expect(new Set(made.map((s) => s.repo)).size).toBe(1);
    expect(steps.filter((p) => p.startsWith('cloning'))).toHaveLength(1);
    expect(steps.filter((p) => p.startsWith('fetching'))).toHaveLength(2);
    expect(reposOf(core.config.home)).toHaveLength(1);
  });

  it('a fetch never overwrites a session branch the cache keeps', async () => {
    const core = await testCore();
    const bare = makeBareRemote();
    const url = `file://${bare}`;
    await core.service.create({ name: 'keeper', repo: url });
    const cache = (await core.service.get('keeper')).repo;
    // The remote gets a branch of the same name from elsewhere; the next fetch leaves ours alone.
    const ours = git(cache, 'rev-parse', 'refs/heads/berth/keeper');
    pushToRemote(bare, { 'x.txt': 'x\n' }, 'elsewhere');
    git(bare, 'branch', '-f', 'berth/keeper', 'main');
    await core.service.create({ name: 'other', repo: url });
    expect(git(cache, 'rev-parse', 'refs/heads/berth/keeper')).toBe(ours);
  });

  it('refuses --push for a local session and --merge without --push for a remote one, changing nothing', async () => {
    const core = await testCore();
    const repo = makeRepo();
    await core.service.create({ name: 'local', repo });
    await expect(core.service.finish('local', 'm', { push: true })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('no remote to push to'),
    });
    expect((await core.service.get('local')).status).toBe('running');

    const bare = makeBareRemote();
    await core.service.create({ name: 'far', repo: `file://${bare}` });
    await expect(core.service.finish('far', 'm', { merge: true })).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringContaining('needs --push'),
    });
    expect((await core.service.get('far')).status).toBe('running');
  });
});

describe('finish --merge', () => {
  it('merges into a base branch that is not checked out, and refuses conflicts naming the file', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const repo = makeRepo({ 'README.md': 'one\n', 'other.txt': 'o\n' });
    git(repo, 'branch', 'dev');
    // Fast-forward: nobody touched dev meanwhile.
    await core.service.create({ name: 'ff', repo, branch: 'dev' });
    await core.service.exec('ff', ['sh', '-c', 'echo ff > ff.txt']);
    const ff = await core.service.finish('ff', 'Fast', { merge: true });
    expect(ff.statusReason).toContain('merged into dev');
    expect(git(repo, 'rev-parse', 'dev')).toBe(git(repo, 'rev-parse', 'berth/ff'));

    // A true merge: dev moved in a file the session did not touch.
    await core.service.create({ name: 'clean', repo, branch: 'dev' });
    const devBefore = commitOnBranch(repo, 'dev', 'other.txt', 'changed on dev\n');
    await core.service.exec('clean', ['sh', '-c', 'echo clean > clean.txt']);
    await core.service.finish('clean', 'Clean work', { merge: true });
    const parents = git(repo, 'rev-list', '--parents', '-n', '1', 'dev').split(' ');
    expect(parents.slice(1)).toEqual([devBefore, git(repo, 'rev-parse', 'berth/clean')]);
    expect(git(repo, 'show', 'dev:clean.txt')).toBe('clean');
    expect(git(repo, 'show', 'dev:other.txt')).toBe('changed on dev');
    // main, checked out, never moved and its working tree was never touched.
    expect(git(repo, 'status', '--porcelain')).toBe('');

    // A conflict: both change README.md.
    const c = await core.service.create({ name: 'clash', repo, branch: 'dev' });
    const devTip = commitOnBranch(repo, 'dev', 'README.md', 'dev says\n');
    await core.service.exec('clash', ['sh', '-c', 'echo session says > README.md']);
    await expect(core.service.finish('clash', 'Clash', { merge: true })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('README.md'),
    });
    expect(git(repo, 'rev-parse', 'dev')).toBe(devTip);
    expect(git(repo, 'rev-parse', 'berth/clash')).toBe(c.baseCommit);
    expect((await core.service.get('clash')).status).toBe('running');
    // Finishing without --merge still works: the work is kept on its branch.
    await core.service.finish('clash', 'Clash');
    expect(git(repo, 'show', 'berth/clash:README.md')).toBe('session says');
  });

  it('refuses to move a checked-out base branch', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const repo = makeRepo();
    const s = await core.service.create({ name: 'co', repo });
    await core.service.exec('co', ['sh', '-c', 'echo x > x.txt']);
    await expect(core.service.finish('co', 'X', { merge: true })).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringContaining('checked out'),
      hint: expect.stringContaining('git merge berth/co'),
    });
    expect(git(repo, 'rev-parse', 'main')).toBe(s.baseCommit);
    expect(git(repo, 'rev-parse', 'berth/co')).toBe(s.baseCommit);
  });

  it('on a remote: merges in the cache and pushes base and branch together', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const bare = makeBareRemote({ 'README.md': 'r\n', 'b.txt': 'b\n' });
    await core.service.create({ name: 'rm', repo: `file://${bare}` });
    const moved = pushToRemote(bare, { 'b.txt': 'b2\n' }, 'remote moves');
    await core.service.exec('rm', ['sh', '-c', 'echo s > s.txt']);
    const done = await core.service.finish('rm', 'Remote merge', { merge: true, push: true });
    expect(done.statusReason).toContain('merged into main');
    const main = git(bare, 'rev-parse', 'main');
    expect(git(bare, 'rev-list', '--parents', '-n', '1', 'main').split(' ').slice(1)).toEqual([
      moved,
      git(bare, 'rev-parse', 'berth/rm'),
    ]);
    expect(git(bare, 'show', 'main:s.txt')).toBe('s');
    expect(git(done.repo, 'rev-parse', 'main')).toBe(main);
  });
});

function commitOnBranch(repo: string, branch: string, file: string, content: string): string {
  // Without checking it out: a blob, a tree and a commit made with plumbing.
  const idx = join(tempDir('berth-idx-'), 'index');
  const env = { ...process.env, GIT_INDEX_FILE: idx };
  const run = (args: string[], input?: string) =>
    execFileSync('git', args, {
      cwd: repo,
      env: {
        ...env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
      encoding: 'utf8',
      ...(input !== undefined ? { input } : {}),
    }).trim();
  run(['read-tree', branch]);
  const blob = run(['hash-object', '-w', '--stdin'], content);
  run(['update-index', '--add', '--cacheinfo', `100644,${blob},${file}`]);
  const tree = run(['write-tree']);
  const commit = run(['commit-tree', tree, '-p', branch, '-m', `dev: ${file}`]);
  run(['update-ref', `refs/heads/${branch}`, commit]);
  return commit;
}

describe('hostile inputs change nothing', () => {
  it('refuses bad URLs, credentials in URLs, public and junk keys, bad identities: no row, container or cache', async () => {
    const core = await testCore({ defaultImage: BUSYBOX_IMAGE });
    const marker = join(tempDir('berth-pwn-'), 'pwned');
    const keys = sshKeyPair(tempDir('berth-keys-'));
    const bare = makeBareRemote();
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ repo: `ext::sh -c touch% ${marker}` }, 'invalid_input', /ext:: transport is not allowed/],
      [{ repo: 'https://me:hunter2@example.com/r.git' }, 'invalid_input', /password/],
      [{ repo: 'ssh://git@127.0.0.1:1/r.git', sshKey: keys.pub }, 'invalid_input', /public key/],
      [
        { repo: 'ssh://git@127.0.0.1:1/r.git', sshKey: 'not a key at all' },
        'invalid_input',
        /not a private key/,
      ],
      [{ repo: `file://${bare}`, sshKey: keys.priv }, 'invalid_input', /only with an ssh remote/],
      [{ repo: `file://${bare}`, gitUser: { name: 'a\nb', email: 'a@b' } }, 'invalid_input', /git user name/],
      [{ repo: `file://${bare}`, gitUser: { name: 'A', email: 'nobody' } }, 'invalid_input', /git email/],
      // A session's working copy (which the session can write) is never read by the host's git.
      [{ repo: `file://${join(core.config.workspacesDir, 'x')}` }, 'invalid_input', /berth's own directory/],
      // A first clone that fails leaves no cache behind.
      [{ repo: `file://${bare}-missing` }, 'git_error', /could not clone/],
    ];
    for (const [input, code, why] of cases) {
      const err = await core.service.create({ name: 'bad', ...input } as never).catch((e: unknown) => e);
      expect(err, JSON.stringify(input)).toMatchObject({ code });
      expect((err as Error).message).toMatch(why);
      expect((err as Error).message).not.toContain('hunter2');
      expect((err as Error).message).not.toContain(keys.priv.slice(60, 100));
    }
    expect(existsSync(marker)).toBe(false);
    expect(await core.service.list()).toEqual([]);
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(reposOf(core.config.home)).toEqual([]);
  });
});

const sshSkip = sshdMissing();
if (sshSkip) console.warn(`skipping the SSH remote tests: ${sshSkip}`);

describe.skipIf(Boolean(sshSkip))('sessions from a remote over ssh, with a per-session key', () => {
  const suiteSshd = sshdForSuite();
  let sshd: TestSshd;
  beforeEach(() => {
    sshd = suiteSshd();
  });

  it('clones with the key, pushes with it, and never lets the key out', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const bare = makeBareRemote({ 'README.md': '# over ssh\n' });
    const url = sshd.url(bare);
    const tmpBefore = new Set(readdirSync(tmpdir()).filter((f) => f.startsWith('berth-ssh-')));

    // Without the key the server refuses: a failed first clone leaves nothing.
    const denied = await core.service.create({ name: 'nokey', repo: url }).catch((e: unknown) => e);
    expect(denied).toMatchObject({ code: 'git_error', message: expect.stringContaining('could not clone') });
    expect(reposOf(core.config.home)).toEqual([]);
    expect(await core.service.list()).toEqual([]);

    const s = await core.service.create({ name: 'viassh', repo: url, sshKey: sshd.clientKey });
    expect(s.remote).toBe(url);
    expect(s.hasSshKey).toBe(true);
    expect(JSON.stringify(s)).not.toContain(sshd.clientKey.slice(60, 100));
    expect((await core.service.exec('viassh', ['cat', 'README.md'])).stdout.toString()).toBe('# over ssh\n');
    // The host key was learnt into berth's own known_hosts.
    expect(readFileSync(join(core.config.home, 'known_hosts'), 'utf8')).toContain(`[127.0.0.1]:${sshd.port}`);
    // Sealed in the store: the key is there, but never in clear.
    const sealed = await core.store.getSecret(`session:${s.id}`, 'ssh-key');
    expect(sealed).not.toBeNull();
    expect(Buffer.from(sealed!).includes(Buffer.from(sshd.clientKey.slice(60, 100)))).toBe(false);
    expect((await core.secrets.get(`session:${s.id}`, 'ssh-key'))?.toString()).toBe(
      `${sshd.clientKey.trim()}\n`,
    );

    await core.service.exec('viassh', ['sh', '-c', 'echo pushed > p.txt']);
    const done = await core.service.finish('viassh', 'Over ssh', { push: true });
    expect(done.statusReason).toContain('pushed to');
    expect(git(bare, 'ls-remote', bare, 'refs/heads/berth/viassh')).toMatch(
      /^[0-9a-f]{40}\trefs\/heads\/berth\/viassh$/,
    );
    expect(git(bare, 'show', 'berth/viassh:p.txt')).toBe('pushed');
    // The key went with the session's end; no key file is left anywhere in the temp dir.
    expect(await core.secrets.list(`session:${s.id}`)).toEqual([]);
    const tmpAfter = readdirSync(tmpdir()).filter((f) => f.startsWith('berth-ssh-') && !tmpBefore.has(f));
    expect(tmpAfter).toEqual([]);
    // A host whose key changed is refused from then on.
    const other = sshKeyPair(tempDir('berth-keys-')).pub.split(' ').slice(0, 2).join(' ');
    writeFileSync(join(core.config.home, 'known_hosts'), `[127.0.0.1]:${sshd.port} ${other}\n`);
    const spoofed = await core.service
      .create({ name: 'spoofed', repo: url, sshKey: sshd.clientKey })
      .catch((e: unknown) => e);
    expect(spoofed).toMatchObject({ code: 'git_error', message: expect.stringContaining('could not fetch') });
    expect((await core.service.list()).map((x) => x.name)).toEqual(['viassh']);
    // The database file holds no clear key.
    for (const f of [core.config.databaseFile, `${core.config.databaseFile}-wal`]) {
      if (existsSync(f))
        expect(readFileSync(f).includes(Buffer.from(sshd.clientKey.slice(60, 100)))).toBe(false);
    }
  });

  it('a failed push leaves the session running and changes nothing', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const bare = makeBareRemote();
    const url = sshd.url(bare);
    const s = await core.service.create({ name: 'nopush', repo: url, sshKey: sshd.clientKey });
    // Meanwhile the remote got a berth/nopush of its own that ours does not descend from: refused.
    pushToRemote(bare, { 'y.txt': 'y\n' }, 'move main');
    git(bare, 'branch', 'berth/nopush', 'main');
    await core.service.exec('nopush', ['sh', '-c', 'echo mine > mine.txt']);
    const err = await core.service.finish('nopush', 'Mine', { push: true }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'git_error', message: expect.stringContaining('still running') });
    expect((err as Error).message).not.toContain(sshd.clientKey.slice(60, 100));
    const now = await core.service.get('nopush');
    expect(now.status).toBe('running');
    expect(git(s.repo, 'rev-parse', 'refs/heads/berth/nopush')).toBe(s.baseCommit);
    expect(await core.secrets.list(`session:${s.id}`)).toHaveLength(1);
    // cancel takes the key with it.
    await core.service.cancel('nopush');
    expect(await core.secrets.list(`session:${s.id}`)).toEqual([]);
  });
});

describe('remote caches and teams', () => {
  it("one team's sessions on a remote never see another team's session work in their objects", async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const url = `file://${makeBareRemote()}`;
    await core.service.create({ name: 'team-a', repo: url, teamId: randomUUID() });
    // Team A's unpushed work, taken into berth by a diff.
    await core.service.exec('team-a', ['sh', '-c', 'echo "launch code 0000" > secret.txt']);
    const snapshot = (await core.service.diff('team-a')).head;
    const b = await core.service.create({ name: 'team-b', repo: url, teamId: randomUUID() });
    const all = await core.service.exec('team-b', [
      'git',
      'cat-file',
      '--batch-all-objects',
      '--batch-check',
    ]);
    expect(all.exitCode, all.stderr.toString()).toBe(0);
    expect(all.stdout.toString()).not.toContain(snapshot);
    expect((await core.service.exec('team-b', ['git', 'cat-file', '-e', snapshot])).exitCode).not.toBe(0);
    // A team's own next session shares its cache (one clone, fetched).
    const b2 = await core.service.create({ name: 'team-b-2', repo: url, teamId: b.teamId });
    expect(b2.repo).toBe(b.repo);
    expect(reposOf(core.config.home)).toHaveLength(2);
  });
});
