/**
 * Security review F3: BERTH_HOME reached through a symlink. berth compared real paths with the
 * symlinked ones, so a session's own working copy (whose .git the session writes, hooks included)
 * passed for a repository of the user's, and the host's git ran `update-ref` in it: the session's
 * `reference-transaction` hook ran on the host. Here the hook touches a host path that does not
 * exist inside the container, so only a run on the host could create it.
 */
import { existsSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, removeContainersOf, SESSION_IMAGE, tempDir } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig, openCore } from '../src/index.js';

const LONG = 180_000;

/** A berth home whose BERTH_HOME is a symlink to the real directory. */
function symlinkedHome(): { link: string; real: string } {
  const real = tempDir('berth-real-home-');
  const link = join(tempDir('berth-link-'), 'home');
  symlinkSync(real, link);
  // Containers are labelled with the home: clean up under either spelling.
  onTestFinished(() => removeContainersOf(real));
  onTestFinished(() => removeContainersOf(link));
  return { link, real };
}

/**
 * As root the host's git distrusts the session's files for their owner (the fallback uid 1000);
 * a daemon running as the repository's owner, the usual case, owns them and trusts them. A global
 * `safe.directory=*` (common on build hosts) stands in for that here.
 */
function daemonTrustsItsOwnFiles(): void {
  const home = tempDir('berth-daemon-home-');
  writeFileSync(join(home, '.gitconfig'), '[safe]\n\tdirectory = *\n');
  const saved = process.env.HOME;
  process.env.HOME = home;
  onTestFinished(() => {
    process.env.HOME = saved;
  });
}

/** A directory outside BERTH_HOME whose `.git` is a file naming `gitDir`. */
function gitFileInto(gitDir: string): string {
  const dir = tempDir('berth-gitfile-');
  writeFileSync(join(dir, '.git'), `gitdir: ${gitDir}\n`);
  return dir;
}

/** Inside the session: a commit of its own, then a reference-transaction hook that marks `marker`. */
const plantHook = (marker: string) =>
  [
    'set -e',
    'git commit -q --allow-empty -m "session work"',
    'mkdir -p .git/hooks',
    `printf '#!/bin/sh\\ntouch ${marker}\\n' > .git/hooks/reference-transaction`,
    'chmod +x .git/hooks/reference-transaction',
  ].join('\n');

describe('BERTH_HOME through a symlink', () => {
  it(
    "a session's working copy is refused as a repository, and its hooks never run on the host",
    async () => {
      const { link, real } = symlinkedHome();
      daemonTrustsItsOwnFiles();
      const core = await openCore(loadConfig({ BERTH_HOME: link, BERTH_IMAGE: SESSION_IMAGE }));
      onTestFinished(() => core.close());

      const first = await core.service.create({ name: 'first', repo: makeRepo() });
      const marker = join(tempDir('berth-marker-'), 'fired');
      const planted = await core.service.exec('first', ['sh', '-c', plantHook(marker)]);
      expect(planted.exitCode, planted.stderr.toString()).toBe(0);

      const spellings = [
        first.workspacePath!,
        join(link, 'workspaces', first.id),
        join(realpathSync(real), 'workspaces', first.id),
        // A directory elsewhere whose .git file leads into the working copy's git directory.
        gitFileInto(join(link, 'workspaces', first.id, '.git')),
      ];
      const outcomes: unknown[] = [];
      for (const [i, repo] of spellings.entries()) {
        outcomes.push(await core.service.create({ name: `second-${i}`, repo }).catch((err: unknown) => err));
      }
      // The hook would have run on the host, during berth's update-ref in the working copy.
      expect(existsSync(marker)).toBe(false);
      for (const outcome of outcomes) {
        expect(outcome).toMatchObject({
          code: 'invalid_input',
          message: expect.stringMatching(/a berth session's working copy|inside berth's own directory/),
          hint: expect.any(String),
        });
      }
      expect((await core.service.list()).map((s) => s.name)).toEqual(['first']);
      // Every path berth hands out is the canonical one.
      expect(core.config.home).toBe(realpathSync(real));
      expect(core.config.workspacesDir).toBe(join(realpathSync(real), 'workspaces'));
    },
    LONG,
  );
});
