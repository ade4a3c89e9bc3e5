/**
 * Security review F22: the working copy of a session on a remote is checked out by the host's git
 * from a tree nobody here vouched for. The daemon user's global config must not apply to it: a
 * filter driver (git-lfs's smudge, named by the remote's own .gitattributes) or a global hooks
 * path would run a program on the host at checkout. Both write a marker here; neither may fire.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeBareRemote, tempDir } from '@berth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { GitWorkspaces } from '../src/workspace/git-workspace.js';
import { parseRemote, RemoteRepos } from '../src/workspace/remote-repos.js';

const savedHome = process.env.HOME;
afterEach(() => {
  process.env.HOME = savedHome;
});

/** A daemon HOME whose global config has an lfs filter and a hooks path that leave markers. */
function homeWithTraps(markers: string): string {
  const home = tempDir('berth-daemon-home-');
  const hooks = join(home, 'hooks');
  mkdirSync(hooks);
  writeFileSync(join(hooks, 'post-checkout'), `#!/bin/sh\ntouch ${markers}/hook\n`, { mode: 0o755 });
  writeFileSync(
    join(home, '.gitconfig'),
    [
      '[filter "lfs"]',
      `\tsmudge = sh -c 'touch ${markers}/smudge && cat'`,
      `\tclean = cat`,
      '\trequired = true',
      '[core]',
      `\thooksPath = ${hooks}`,
      '',
    ].join('\n'),
  );
  return home;
}

describe("a remote's tree and the daemon user's global git config", () => {
  it('checking out the working copy runs no global filter driver and no global hook', async () => {
    const markers = tempDir('berth-markers-');
    const bare = makeBareRemote({ '.gitattributes': '*.bin filter=lfs\n', 'big.bin': 'payload\n' });
    process.env.HOME = homeWithTraps(markers);
    const home = tempDir('berth-home-');
    const reposDir = join(home, 'repos');
    const repo = await new RemoteRepos({ reposDir, knownHostsFile: join(home, 'known_hosts') }).prepare(
      parseRemote(`file://${bare}`)!,
      null,
      () => undefined,
    );
    const workspacesDir = join(home, 'workspaces');
    const path = join(workspacesDir, '11111111-1111-4111-8111-111111111111');
    await new GitWorkspaces({ workspacesDir, reposDir }).create({
      sessionId: '11111111-1111-4111-8111-111111111111',
      branch: 'berth/lfs',
      repo,
      baseCommit: git(bare, 'rev-parse', 'main'),
      path,
      uid: process.getuid!(),
      gid: process.getgid!(),
      gitUser: { name: 't', email: 't@t' },
    });
    expect(existsSync(join(path, 'big.bin'))).toBe(true);
    expect(existsSync(join(markers, 'smudge'))).toBe(false);
    expect(existsSync(join(markers, 'hook'))).toBe(false);
  });
});
