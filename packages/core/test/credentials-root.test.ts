/**
 * Security review F13: the credentials root `/dev/shm/berth-<hash of BERTH_HOME>` has a name any
 * local user can work out. Made first as a symlink to a directory of someone else's, it led the
 * reconciler's sweep there (`rm -rf` of every entry no live session owns) and would have put
 * sessions' credentials there. berth must leave such a directory alone and keep its credentials
 * in one of its own; and the sweep removes only what berth names: session ids.
 */
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { tempDir, testConfig } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { defaultCredentialsRoot, openCore } from '../src/index.js';

const STALE_ID = '11111111-1111-4111-8111-111111111111';

/** Removes `path` at the end of the test, a symlink as the link itself. */
function removeAfter(path: string): void {
  onTestFinished(() => rmSync(path, { recursive: true, force: true }));
}

describe("the credentials root on the host's shared tmpfs", () => {
  it('a symlink put in its place is neither swept through nor used; only session ids are swept', async () => {
    const config = testConfig();
    const usual = defaultCredentialsRoot(realpathSync(config.home));
    // Someone else's directory, with what a sweep through the link would remove.
    const victim = tempDir('berth-victim-');
    mkdirSync(join(victim, STALE_ID));
    writeFileSync(join(victim, STALE_ID, 'precious'), 'keep me\n');
    writeFileSync(join(victim, 'notes.txt'), 'keep me too\n');
    symlinkSync(victim, usual);
    removeAfter(usual);

    const core = await openCore(config);
    onTestFinished(() => core.close());
    const root = core.agents.credentials.root;
    if (root !== usual) removeAfter(root);
    await core.startWatching();

    expect(readFileSync(join(victim, STALE_ID, 'precious'), 'utf8')).toBe('keep me\n');
    expect(readFileSync(join(victim, 'notes.txt'), 'utf8')).toBe('keep me too\n');
    // berth keeps credentials in a private directory of its own instead, and says where.
    expect(root).not.toBe(usual);
    const st = lstatSync(root);
    expect(st.isDirectory() && !st.isSymbolicLink()).toBe(true);
    expect(st.uid).toBe(process.getuid!());
    expect(st.mode & 0o777).toBe(0o700);
    expect(readFileSync(join(config.home, 'credentials-root'), 'utf8').trim()).toBe(root);

    // In its own root the sweep takes a stale session's entry, and nothing it did not name.
    mkdirSync(join(root, STALE_ID));
    mkdirSync(join(root, 'not-a-session'));
    writeFileSync(join(root, 'not-a-session', 'file'), 'x\n');
    await core.reconciler.reconcileAll();
    expect(existsSync(join(root, STALE_ID))).toBe(false);
    expect(readFileSync(join(root, 'not-a-session', 'file'), 'utf8')).toBe('x\n');
  });

  it('a root made by us with a loose mode is made private again', async () => {
    const config = testConfig();
    const usual = defaultCredentialsRoot(realpathSync(config.home));
    mkdirSync(usual, { mode: 0o777 });
    removeAfter(usual);
    const core = await openCore(config);
    onTestFinished(() => core.close());
    expect(core.agents.credentials.root).toBe(usual);
    expect(lstatSync(usual).mode & 0o777).toBe(0o700);
  });
});
