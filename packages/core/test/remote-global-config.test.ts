/**
 * Security review F7: the host's git for remotes must not borrow the daemon user's global git
 * config. A `url.<x>.insteadOf` there (or an `http.extraHeader` holding a token) would be applied
 * to every member's remote, so a session could reach what only the daemon's user may. Here the
 * global config rewrites the remote's URL to a decoy repository: berth must clone, fetch and push
 * the remote it was given, and the decoy must never be read or written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, makeBareRemote, pushToRemote, tempDir } from '@berth/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRemote, RemoteRepos } from '../src/workspace/remote-repos.js';

const savedHome = process.env.HOME;
afterEach(() => {
  process.env.HOME = savedHome;
});

/** A HOME whose ~/.gitconfig sends every use of `url` to `decoy` instead. */
function homeRedirecting(url: string, decoy: string): string {
  const home = tempDir('berth-daemon-home-');
  const config = `[url "file://${decoy}"]\n\tinsteadOf = ${url}\n\tpushInsteadOf = ${url}\n`;
  writeFileSync(join(home, '.gitconfig'), config);
  mkdirSync(join(home, '.config', 'git'), { recursive: true });
  writeFileSync(join(home, '.config', 'git', 'config'), config);
  return home;
}

describe("remotes and the daemon user's global git config", () => {
  it('clone, fetch and push reach the remote berth was given, never where ~/.gitconfig points', async () => {
    const real = makeBareRemote({ 'README.md': '# the real remote\n' });
    const decoy = makeBareRemote({ 'README.md': '# only the daemon user may read this\n' });
    const decoyMain = git(decoy, 'rev-parse', 'main');
    const remote = parseRemote(`file://${real}`)!;
    process.env.HOME = homeRedirecting(remote.url, decoy);
    // The trap is live for the daemon user's own git.
    expect(git(tempDir('berth-probe-'), 'ls-remote', remote.url, 'refs/heads/main')).toContain(decoyMain);

    const home = tempDir('berth-home-');
    const repos = new RemoteRepos({
      reposDir: join(home, 'repos'),
      knownHostsFile: join(home, 'known_hosts'),
    });
    const cache = await repos.prepare(remote, null, () => undefined);
    expect(git(cache.root, 'show', 'main:README.md')).toBe('# the real remote');

    const pushed = pushToRemote(real, { 'NEWS.md': 'news\n' }, 'Add news');
    await repos.prepare(remote, null, () => undefined);
    expect(git(cache.root, 'rev-parse', 'main')).toBe(pushed);

    git(cache.root, 'branch', 'berth/work', 'main');
    await repos.push(cache.root, remote, null, ['refs/heads/berth/work:refs/heads/berth/work']);
    expect(git(real, 'rev-parse', 'refs/heads/berth/work')).toBe(pushed);
    expect(git(decoy, 'for-each-ref', 'refs/heads/berth')).toBe('');
    expect(git(decoy, 'rev-parse', 'main')).toBe(decoyMain);
  });
});
