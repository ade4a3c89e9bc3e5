import { randomUUID } from 'node:crypto';
import { BUSYBOX_IMAGE, git, makeRepo, removeContainersOf, SESSION_IMAGE, testCore } from '@berth/testkit';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ownedDirArchive } from '../src/agents/agent-launcher.js';
import type { Core } from '../src/core.js';
import { silentLogger } from '../src/logger.js';
import { sessionLabels } from '../src/runtime/labels.js';
import { parseSessionName } from '../src/session/session.js';
import { GitWorkspaces } from '../src/workspace/git-workspace.js';
import type { RepoInfo } from '../src/workspace/repo-inspection.js';
import { takeSnapshot } from '../src/workspace/session-snapshot.js';
import { WorkCollector } from '../src/workspace/work-collector.js';
import { bundleOf, type SeedSpec, seedWorkspace } from '../src/workspace/workspace-seed.js';

/**
 * The working copy as a stream (docs/scale-out.md, "Git in and out"): a session whose /workspace
 * is a volume of its own, not a host path, gets the base as a bundle over exec stdin and hands its
 * work back as one over exec stdout. Nothing of the user's repository is mounted.
 */

const UID = 1234;
const GID = 1235;

/** A running container of `image` whose /workspace is a fresh volume owned by UID:GID. */
async function seedable(core: Core, image = SESSION_IMAGE): Promise<{ id: string; sessionId: string }> {
  const sessionId = randomUUID();
  const labels = sessionLabels({ sessionId, sessionName: 'seeded', home: core.config.home });
  const volume = `berth-seed-${sessionId.slice(0, 8)}`;
  await core.runtime.createVolume(volume, labels);
  onTestFinished(async () => {
    await removeContainersOf(core.config.home);
    await core.runtime.removeVolume(volume);
  });
  const id = await core.runtime.create({
    name: `berth-seeded-${sessionId.slice(0, 8)}`,
    image,
    command: ['sleep', 'infinity'],
    user: `${UID}:${GID}`,
    env: { HOME: '/tmp' },
    workingDir: '/workspace',
    labels,
    mounts: [{ source: volume, target: '/workspace', readOnly: false }],
    cpus: 1,
    memoryBytes: 512 * 1024 * 1024,
    pids: 256,
    network: 'none',
  });
  // The volume's root is the session user's before anything runs (the container can chown nothing).
  await core.runtime.putArchive(id, '/', await ownedDirArchive('workspace', UID, GID));
  await core.runtime.start(id);
  return { id, sessionId };
}

/** The seed of `berth/seeded` at `base` from `ref` of the repository (its bundle made now). */
function seedSpec(info: RepoInfo, base: string, ref = 'refs/heads/main'): SeedSpec {
  return {
    user: `${UID}:${GID}`,
    ref,
    branch: 'berth/seeded',
    baseCommit: base,
    gitUser: { name: 'Seed Tester', email: 'seed@example.test' },
    bundle: bundleOf(info, ref),
  };
}

function sh(core: Core, id: string, script: string) {
  return core.runtime
    .exec(id, { cmd: ['sh', '-c', script], user: `${UID}:${GID}`, workingDir: '/workspace' })
    .then((r) => ({ ...r, out: r.stdout.toString().trim() }));
}

describe('a working copy seeded over exec stdin', () => {
  it('holds the base on its branch, all of its history and its own objects, owned by the session user', async () => {
    const core = await testCore();
    const repo = makeRepo({ 'README.md': '# seed\n', 'src/app.js': 'console.log(1)\n' });
    git(repo, 'commit', '--allow-empty', '-q', '-m', 'second');
    const base = git(repo, 'rev-parse', 'HEAD');
    const info = await new GitWorkspaces({ ...core.config }).inspectRepo(repo);
    const { id } = await seedable(core);

    await seedWorkspace(core.runtime, id, seedSpec(info, base));

    const seen = await sh(
      core,
      id,
      'git rev-parse HEAD; git branch --show-current; git rev-list --count HEAD; git config user.email; git status --porcelain | wc -l; stat -c %u:%g . README.md src/app.js; ls .git/objects/info; ls .git | grep -c bundle || true; git for-each-ref --format="%(refname)"',
    );
    expect(seen.stderr.toString()).toBe('');
    expect(seen.exitCode).toBe(0);
    expect(seen.out.split('\n')).toEqual([
      base,
      'berth/seeded',
      '2',
      'seed@example.test',
      '0',
      `${UID}:${GID}`,
      `${UID}:${GID}`,
      `${UID}:${GID}`,
      // no alternates: the objects are the session's own, nothing of the user's is mounted
      '0',
      'refs/heads/berth/seeded',
    ]);
    expect((await sh(core, id, 'cat src/app.js')).out).toBe('console.log(1)');
  });

  it("the session's work comes back as a bundle over exec stdout, into the user's repo", async () => {
    const core = await testCore();
    const repo = makeRepo({ 'README.md': '# seed\n' });
    const base = git(repo, 'rev-parse', 'HEAD');
    const info = await new GitWorkspaces({ ...core.config }).inspectRepo(repo);
    const { id, sessionId } = await seedable(core);
    await seedWorkspace(core.runtime, id, seedSpec(info, base));
    expect(
      (
        await sh(
          core,
          id,
          'echo made-inside > new.txt && git add new.txt && git commit -qm wip && echo more >> README.md',
        )
      ).exitCode,
    ).toBe(0);

    const collector = new WorkCollector({ runtime: core.runtime, config: core.config, logger: silentLogger });
    const commit = await takeSnapshot(
      { collector, workspaces: new GitWorkspaces({ ...core.config }) },
      {
        id: sessionId,
        name: parseSessionName('seeded'),
        user: `${UID}:${GID}`,
        baseCommit: base,
        workspacePath: null,
        runtime: 'runc',
        limits: { cpus: 1, memoryBytes: 512 * 1024 * 1024, pids: 256 },
        containerId: id,
      },
      info,
      'the snapshot',
    );
    expect(git(repo, 'rev-parse', `refs/berth/sessions/${sessionId}/snapshot`)).toBe(commit);
    expect(git(repo, 'show', `${commit}:README.md`)).toBe('# seed\nmore');
    expect(git(repo, 'log', '--format=%s', `${base}..${commit}`).split('\n')).toEqual([
      'the snapshot',
      'wip',
    ]);
    expect(git(repo, 'show', `${commit}:new.txt`)).toBe('made-inside');
  });

  it('a bundle that does not hold the base, a bundle that fails, and a second seed are refused', async () => {
    const core = await testCore();
    const repo = makeRepo({ 'README.md': '# seed\n' });
    const base = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'branch', 'start', base);
    git(repo, 'commit', '--allow-empty', '-q', '-m', 'later');
    const info = await new GitWorkspaces({ ...core.config }).inspectRepo(repo);
    const spec = (ref: string) => seedSpec(info, base, ref);

    const wrong = await seedable(core);
    await expect(seedWorkspace(core.runtime, wrong.id, spec('refs/heads/main'))).rejects.toMatchObject({
      code: 'git_error',
      message: expect.stringMatching(/did not hold the base/),
    });

    const broken = await seedable(core);
    const err = await seedWorkspace(core.runtime, broken.id, spec('refs/heads/no-such-branch')).catch(
      (e) => e,
    );
    expect(err.message).toMatch(/git bundle failed: fatal: ambiguous argument 'refs\/heads\/no-such-branch'/);
    expect((await sh(core, broken.id, 'ps -o args | grep -c "[b]erth-seed" || true')).out).toBe('0');

    const twice = await seedable(core);
    await seedWorkspace(core.runtime, twice.id, spec('refs/heads/start'));
    await expect(seedWorkspace(core.runtime, twice.id, spec('refs/heads/main'))).rejects.toMatchObject({
      message: expect.stringMatching(/already holds a repository/),
    });
  });

  it('an image without git says so, with what to do', async () => {
    const core = await testCore();
    const repo = makeRepo();
    const info = await new GitWorkspaces({ ...core.config }).inspectRepo(repo);
    const { id } = await seedable(core, BUSYBOX_IMAGE);
    await expect(
      seedWorkspace(core.runtime, id, seedSpec(info, git(repo, 'rev-parse', 'HEAD'))),
    ).rejects.toMatchObject({ code: 'git_error', message: expect.stringMatching(/has no git/) });
  });
});
