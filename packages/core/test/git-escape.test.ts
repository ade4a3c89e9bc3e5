/**
 * docs/security.md, "Git working copies": nothing written in a session runs on the host. A
 * session plants every config key and hook that makes the host's git run a program (plus
 * committed attributes, an ext:: submodule, husky hooks and a lazy-fetch trap); berth's diff,
 * finish and cancel run, then the user's own git in the repo. No payload may fire on the host
 * and the repo's git directory must be untouched. A positive control runs the host's git inside a
 * copy of the same planted clone and sees the payloads fire, so a regression would be caught.
 * Two attacks on berth's own fetch follow: a snapshot whose output is a `gitdir:` file instead of
 * a bundle, and a bundle carrying a tree with a `.git` entry (which `transfer.fsckObjects` must
 * stop).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  lstatSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { git, makeRepo, SESSION_IMAGE, tempDir, testCore } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Core } from '../src/index.js';
import { CONTAINER_OBJECTS_DIR } from '../src/workspace/git-workspace.js';
import {
  committedTrapsScript,
  dotGitTreeScript,
  localTrapsScript,
  makeTripwire,
  redirectFetchScript,
  type Tripwire,
  userGit,
} from './git-payloads.js';

const LONG = 180_000;

/** Every file under `dir` (relative path -> mode and content hash; symlinks by target). */
function treeState(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const abs = join(dir, rel);
    const st = lstatSync(abs);
    const mode = (st.mode & 0o7777).toString(8);
    if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(abs)}`;
    else if (st.isDirectory()) {
      out[`${rel}/`] = `dir ${mode}`;
      for (const e of readdirSync(abs).sort()) walk(rel ? `${rel}/${e}` : e);
    } else out[rel] = `file ${mode} ${createHash('sha256').update(readFileSync(abs)).digest('hex')}`;
  };
  walk('');
  return out;
}

function refsOf(repo: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of git(repo, 'for-each-ref', '--format=%(refname) %(objectname)').split('\n')) {
    const [ref, sha] = line.split(' ');
    if (ref && sha) out[ref] = sha;
  }
  return out;
}

function hostState(repo: string) {
  const gitDir = join(repo, '.git');
  return {
    config: readFileSync(join(gitDir, 'config'), 'utf8'),
    hooks: treeState(join(gitDir, 'hooks')),
    info: treeState(join(gitDir, 'info')),
    objects: treeState(join(gitDir, 'objects')),
    top: readdirSync(gitDir).sort(),
    refs: refsOf(repo),
  };
}

/** A session on `repo` with every trap planted from inside it; returns its escape report. */
async function plantedSession(core: Core, repo: string, t: Tripwire, name: string) {
  const session = await core.service.create({ name, repo });
  // Inside the session the user's objects are mounted (read-only) here.
  const objectsDir = CONTAINER_OBJECTS_DIR;
  const committed = await core.service.exec(name, ['sh', '-c', committedTrapsScript(t, objectsDir)]);
  expect(committed.exitCode, committed.stderr.toString()).toBe(0);
  const local = await core.service.exec(name, ['sh', '-c', localTrapsScript(t, objectsDir)]);
  expect(local.exitCode, local.stderr.toString()).toBe(0);
  const report = local.stdout.toString().split('\n');
  const escapes = report.filter((l) => l.startsWith('escape '));
  expect(escapes.length).toBeGreaterThanOrEqual(10);
  for (const line of escapes) expect(line).toMatch(/^escape \S+ blocked/);
  // The objects dir is world-writable on the host (see the test): only the read-only mount stops it.
  for (const line of escapes.filter((l) => l.startsWith('escape objects-'))) {
    expect(line).toMatch(/Read-only file system/);
  }
  // Every planted program is in place inside the clone.
  const check = await core.service.exec(name, [
    'sh',
    '-c',
    'git config --get core.pager && git config --get core.fsmonitor && git config --worktree --get core.hooksPath' +
      ' && test -x .git/hooks/post-checkout && test -x .husky/pre-commit && git ls-files -s sub lazy.txt',
  ]);
  expect(check.exitCode, check.stderr.toString()).toBe(0);
  expect(check.stdout.toString()).toMatch(/^160000 [0-9a-f]{40} 0\tsub$/m);
  expect(check.stdout.toString()).toMatch(/^100644 1{40} 0\tlazy\.txt$/m);
  return { session, report };
}

describe('nothing written in a session runs on the host (docs/security.md, "Git working copies")', () => {
  it(
    'planted config, hooks and committed traps never fire on the host through diff, finish, cancel and the user’s git',
    async () => {
      const t = makeTripwire();
      const core = await testCore({ defaultImage: SESSION_IMAGE });
      const repo = makeRepo({ 'README.md': '# demo\n', 'src/app.txt': 'one\n' });
      // Take file permissions out of the picture: only berth's mount layout may protect the repo.
      execFileSync('chmod', ['-R', 'a+rwX', repo]);
      const before = hostState(repo);
      const base = git(repo, 'rev-parse', 'main');

      const fin = await plantedSession(core, repo, t, 'esc-fin');
      await plantedSession(core, repo, t, 'esc-can');
      expect(t.fired()).toEqual([]);

      // berth's host side
      const d1 = await core.service.diff('esc-fin');
      for (const path of [
        '.gitattributes',
        '.gitmodules',
        '.husky/pre-commit',
        'notes.txt',
        'lazy.txt',
        'sub',
      ]) {
        expect(d1.diff).toContain(`+++ b/${path}`);
      }
      expect(d1.diff).toContain('+Subproject commit');
      expect(d1.diff).toContain('ext::sh -c');
      const d2 = await core.service.diff('esc-can');
      expect(d2.head).not.toBe(base);
      // The payloads are live inside the container: berth's own snapshot ran some of them there,
      // in the container's private copy of the tripwire path.
      const inside = await core.service.exec('esc-can', ['sh', '-c', `ls ${t.dir} 2>/dev/null`]);
      const firedInside = inside.stdout.toString().split('\n').filter(Boolean);
      expect(firedInside).toEqual(
        expect.arrayContaining([
          'marker-core-fsmonitor',
          'marker-filter-clean',
          'marker-husky-reference-transaction',
        ]),
      );
      expect(t.fired()).toEqual([]);

      const done = await core.service.finish('esc-fin', 'finish with every trap planted');
      expect(done.status).toBe('finished');
      expect(existsSync(fin.session.workspacePath!)).toBe(false);
      const cancelled = await core.service.cancel('esc-can');
      expect(cancelled.status).toBe('cancelled');
      expect(t.fired()).toEqual([]);

      // The user, in the repo, with git's normal environment.
      const user = (...args: string[]) => {
        const r = userGit(repo, args);
        expect(r.status, `git ${args.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
        return r.stdout;
      };
      user('status');
      expect(user('log', '-p', 'berth/esc-fin')).toContain('finish with every trap planted');
      expect(user('diff', 'main', 'berth/esc-fin')).toContain('.gitattributes');
      user('checkout', 'berth/esc-fin');
      expect(readFileSync(join(repo, '.gitattributes'), 'utf8')).toContain('filter=evil');
      user('status');
      user('submodule', 'status');
      user('log', '-p', '-3');
      appendFileSync(join(repo, 'README.md'), 'user edit\n');
      appendFileSync(join(repo, 'data.p'), 'user edit\n');
      user('commit', '-am', 'user edit on the session branch');
      user('show', '--stat', 'HEAD');
      user('diff', 'main', 'berth/esc-fin');
      user('checkout', 'main');
      expect(t.fired()).toEqual([]);

      // The repo's git directory: config, hooks and info byte-identical; objects only added to.
      const after = hostState(repo);
      expect(after.config).toBe(before.config);
      expect(after.hooks).toEqual(before.hooks);
      expect(after.info).toEqual(before.info);
      for (const [path, state] of Object.entries(before.objects)) {
        if (!path.endsWith('/')) expect(after.objects[path], path).toBe(state);
      }
      const allowedNew = ['COMMIT_EDITMSG', 'ORIG_HEAD', 'logs', 'packed-refs'];
      expect(after.top.filter((e) => !before.top.includes(e) && !allowedNew.includes(e))).toEqual([]);
      expect(git(repo, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');

      // Refs: only berth/* branches changed; berth's own refs are gone.
      for (const ref of new Set([...Object.keys(before.refs), ...Object.keys(after.refs)])) {
        if (!ref.startsWith('refs/heads/berth/')) expect(after.refs[ref], ref).toBe(before.refs[ref]);
      }
      expect(Object.keys(after.refs).filter((r) => r.startsWith('refs/heads/berth/'))).toEqual([
        'refs/heads/berth/esc-fin',
      ]);
      expect(Object.keys(after.refs).filter((r) => r.startsWith('refs/berth/'))).toEqual([]);

      const fsck = spawnSync('git', ['fsck', '--full', '--strict'], { cwd: repo, encoding: 'utf8' });
      expect(fsck.status, fsck.stderr).toBe(0);
      expect(`${fsck.stdout}${fsck.stderr}`).not.toMatch(/^(error|warning|missing|broken|bad)/im);
    },
    LONG,
  );

  it(
    'positive control: the host’s git inside a copy of the planted clone runs the payloads',
    async () => {
      const t = makeTripwire();
      const core = await testCore({ defaultImage: SESSION_IMAGE });
      const repo = makeRepo({ 'README.md': '# demo\n', 'src/app.txt': 'one\n' });
      const { session } = await plantedSession(core, repo, t, 'esc-ctl');

      // Exactly what berth must never do: the host's git inside the session's clone.
      const copy = join(tempDir('berth-ctl-'), 'clone');
      execFileSync('cp', ['-a', session.workspacePath!, copy]);
      // The clone finds the user's objects where the session mounts them; point the copy at the
      // host's path instead, as if the host's git were run in place.
      writeFileSync(
        join(copy, '.git/objects/info/alternates'),
        `${realpathSync(join(repo, '.git', 'objects'))}\n`,
      );
      await core.service.cancel('esc-ctl');
      expect(t.fired()).toEqual([]);
      const home = tempDir('berth-ctl-home-');
      // The copy belongs to the session's uid; trust it as the user would trust their own clone.
      writeFileSync(join(home, '.gitconfig'), '[safe]\n\tdirectory = *\n');
      const env = { HOME: home };
      const ran = (args: string[]) => userGit(copy, args, env);

      ran(['status']); // fsmonitor, filters, post-index-change
      ran(['diff']); // needs the missing blob: lazy fetch
      ran(['diff', '--', 'README.md']); // the diff=evil driver (it wins over diff.external)
      ran(['log', '-p', '-1']); // core.pager, textconv
      ran(['commit', '-a']); // hooks via core.hooksPath, core.editor, filter clean
      ran(['add', '-A']);
      ran(['commit', '-m', 'ctl']); // gpg.program
      ran(['checkout', '-b', 'ctl']); // post-checkout
      ran(['fetch', 'origin']); // core.sshCommand
      // With hooksPath gone, the hooks in .git/hooks are the live ones.
      execFileSync('git', ['config', '--worktree', '--unset', 'core.hooksPath'], {
        cwd: copy,
        env: { ...process.env, ...env },
      });
      ran(['commit', '--allow-empty', '-m', 'ctl']);
      ran(['checkout', '-']);

      const fired = t.fired();
      console.log(`positive control fired: ${fired.join(' ')}`);
      expect(fired).toEqual(
        expect.arrayContaining([
          'core-fsmonitor', // .git/evil.inc via include.path
          'core-pager',
          'core-editor', // .git/config.worktree
          'core-sshcommand',
          'bin-gpg', // gpg.program with commit.gpgSign
          'diff-driver-command', // .gitattributes diff=evil
          'diff-textconv', // includeIf onbranch
          'filter-clean',
          'filter-smudge',
          'lazy-fetch', // promisor remote with an ext:: URL
          'husky-pre-commit', // core.hooksPath=.husky in config.worktree
          'husky-prepare-commit-msg',
          'husky-commit-msg',
          'husky-post-checkout',
          'husky-reference-transaction',
          'hook-pre-commit', // .git/hooks
          'hook-prepare-commit-msg',
          'hook-commit-msg',
          'hook-post-checkout',
        ]),
      );
    },
    LONG,
  );

  it(
    'the snapshot output must be a bundle: a session cannot point the host’s fetch at a repository it writes',
    async () => {
      const core = await testCore({ defaultImage: SESSION_IMAGE });
      const repo = makeRepo();
      const session = await core.service.create({ name: 'esc-redirect', repo });
      const plant = await core.service.exec('esc-redirect', ['sh', '-c', redirectFetchScript()]);
      expect(plant.exitCode, plant.stderr.toString()).toBe(0);
      // The container learns the host path of its working copy from its own mount table. Where
      // the engine's mount table says otherwise (a VM, a separate /home), an agent would guess it;
      // hand it over so the test does not depend on the host's layout.
      if (plant.stdout.toString().trim() !== session.workspacePath) {
        const fix = await core.service.exec('esc-redirect', [
          'sh',
          '-c',
          'printf "%s\\n" "$1" > .git/berth-host-workspace',
          'sh',
          session.workspacePath!,
        ]);
        expect(fix.exitCode).toBe(0);
      }

      // Berth normally runs as the repo's owner, and the session as the same uid (docs/security.md),
      // so git's safe.directory ownership check passes for the session's files. This test runs as
      // root with a fallback session uid; trust every directory to stand in for the same-uid case.
      const home = tempDir('berth-samuid-home-');
      writeFileSync(join(home, '.gitconfig'), '[safe]\n\tdirectory = *\n');
      const savedHome = process.env.HOME;
      const restoreHome = () => {
        if (savedHome === undefined) delete process.env.HOME;
        else process.env.HOME = savedHome;
      };
      onTestFinished(restoreHome);
      process.env.HOME = home;

      const diff = core.service.diff('esc-redirect').then(
        (d) => `diff succeeded at ${d.head}`,
        (e: Error) => `diff refused: ${e.message}`,
      );
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<null>((resolve) => {
        timer = setTimeout(() => resolve(null), 60_000);
      });
      let outcome = await Promise.race([diff, hung]);
      clearTimeout(timer);
      if (outcome === null) {
        // The host's git is blocked opening the session's FIFO: feed it so nothing is left hanging.
        const fifo = join(session.workspacePath!, '.trap-fifo');
        for (let i = 0; i < 10; i++) spawnSync('timeout', ['2', 'sh', '-c', `: > ${fifo}`]);
        outcome = `the host's git hung on a FIFO in the session's directory; then ${await diff}`;
      }
      restoreHome();
      const probe = await core.service.exec('esc-redirect', [
        'sh',
        '-c',
        'test -e /workspace/.host-read-session-config && echo HOST-READ || echo untouched',
      ]);
      // A real bundle never sends the host's git into the session's directory.
      expect(probe.stdout.toString().trim(), outcome).toBe('untouched');
      // And the attack was live: the output really was not a bundle, so berth had to refuse it.
      expect(outcome).toMatch(/^diff refused: /);
    },
    LONG,
  );

  it(
    'a tree entry named .git is stopped at the fetch: the repo stays fsck-clean and nothing runs',
    async () => {
      const t = makeTripwire();
      const core = await testCore({ defaultImage: SESSION_IMAGE });
      const repo = makeRepo();
      const before = hostState(repo);
      await core.service.create({ name: 'esc-dotgit', repo });
      const plant = await core.service.exec('esc-dotgit', ['sh', '-c', dotGitTreeScript(t)]);
      expect(plant.exitCode, plant.stderr.toString()).toBe(0);
      expect(plant.stdout.toString()).toMatch(/^040000 tree [0-9a-f]{40}\t\.git$/m);

      const outcomes: string[] = [];
      outcomes.push(
        await core.service.diff('esc-dotgit').then(
          () => 'diff accepted the bundle',
          (e: Error) => `diff refused: ${e.message}`,
        ),
      );
      const finished = await core.service.finish('esc-dotgit', 'with a .git tree').then(
        () => true,
        (e: Error) => {
          outcomes.push(`finish refused: ${e.message}`);
          return false;
        },
      );
      if (finished) {
        outcomes.push('finish accepted the bundle');
        // git's own checkout guard must still refuse to write .git/hooks/post-checkout.
        const r = userGit(repo, ['checkout', 'berth/esc-dotgit~1']);
        outcomes.push(`checkout of the .git commit exited ${r.status}`);
        userGit(repo, ['checkout', 'main']);
      } else {
        await core.service.cancel('esc-dotgit');
      }

      expect(t.fired()).toEqual([]);
      const after = hostState(repo);
      expect(after.config).toBe(before.config);
      expect(after.hooks).toEqual(before.hooks);
      expect(after.info).toEqual(before.info);
      expect(git(repo, 'symbolic-ref', 'HEAD')).toBe('refs/heads/main');
      // The bar: `git fsck --full` clean. transfer.fsckObjects is what should stop it.
      const fsck = spawnSync('git', ['fsck', '--full', '--strict'], { cwd: repo, encoding: 'utf8' });
      const report = `${outcomes.join('; ')}\n${fsck.stdout}${fsck.stderr}`;
      expect(fsck.status, report).toBe(0);
      expect(`${fsck.stdout}${fsck.stderr}`, report).not.toMatch(/^(error|warning)/im);
    },
    LONG,
  );
});
