import { execSync } from 'node:child_process';
import { BUSYBOX_IMAGE, containersOf, docker, git, makeRepo, tempDir, testCore } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { LABEL_HOME, LABEL_MANAGED, LABEL_ROLE, LABEL_SESSION_ID, ROLE_COLLECTOR } from '../src/index.js';

/** An image with no shell at all: only `sleep` (busybox under that name), as distroless ones are. */
function noShellImage(): string {
  const ref = 'berth-test/no-shell:1';
  if (execSync(`docker images -q ${ref}`).toString().trim()) return ref;
  const root = tempDir('berth-noshell-');
  execSync(
    `mkdir -p bin etc tmp workspace && cp /bin/busybox bin/sleep && tar -c . | docker import - ${ref}`,
    { cwd: root, stdio: 'ignore' },
  );
  return ref;
}

/** Every container of this home, by role: the session's own, or a work collector. */
async function collectorsOf(home: string): Promise<number> {
  const list = await docker.listContainers({
    all: true,
    filters: { label: [`${LABEL_HOME}=${home}`, `${LABEL_ROLE}=${ROLE_COLLECTOR}`] },
  });
  return list.length;
}

describe('a session on an image without git still hands its work back', () => {
  it('new, exec, diff and finish on busybox (no git): the commit is on the branch', async () => {
    const core = await testCore();
    const repo = makeRepo({ 'README.md': '# demo\n' });
    const s = await core.service.create({ name: 'nogit', repo, image: BUSYBOX_IMAGE });
    const probe = await core.service.exec('nogit', ['sh', '-c', 'command -v git || echo none']);
    expect(probe.stdout.toString().trim()).toBe('none');

    const w = await core.service.exec('nogit', [
      'sh',
      '-c',
      'echo from-busybox > made.txt && echo more >> README.md',
    ]);
    expect(w.exitCode).toBe(0);

    const d = await core.service.diff('nogit');
    expect(d.diff).toContain('+from-busybox');
    expect(d.diff).toContain('+more');
    // The collector came and went; the session's own container is untouched and still running.
    expect(await collectorsOf(core.config.home)).toBe(0);
    expect((await core.service.get('nogit')).status).toBe('running');

    const done = await core.service.finish('nogit', 'Work from an image without git');
    expect(done.status).toBe('finished');
    expect(git(repo, 'log', '-1', '--format=%s', 'berth/nogit')).toBe('Work from an image without git');
    expect(git(repo, 'show', 'berth/nogit:made.txt')).toBe('from-busybox');
    expect(git(repo, 'show', 'berth/nogit:README.md')).toBe('# demo\nmore');
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(s.image).toBe(BUSYBOX_IMAGE);
  });

  it('an image with no shell at all: finish still collects the work (written through the working copy)', async () => {
    const core = await testCore();
    const repo = makeRepo();
    const s = await core.service.create({ name: 'noshell', repo, image: noShellImage() });
    // Nothing can run in it but sleep; the work arrives as a user's editor would leave it.
    expect((await core.service.exec('noshell', ['sh', '-c', 'true'])).exitCode).toBe(126);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${s.workspacePath}/edited.txt`, 'edited\n');
    const done = await core.service.finish('noshell', 'Edited without a shell');
    expect(done.status).toBe('finished');
    expect(git(repo, 'show', 'berth/noshell:edited.txt')).toBe('edited');
  });

  it('diff of a paused session on busybox leaves it paused', async () => {
    const core = await testCore();
    const repo = makeRepo();
    await core.service.create({ name: 'nogit-paused', repo, image: BUSYBOX_IMAGE });
    await core.service.exec('nogit-paused', ['sh', '-c', 'echo x > x.txt']);
    await core.service.pause('nogit-paused');
    expect((await core.service.diff('nogit-paused')).diff).toContain('+x');
    const s = await core.service.get('nogit-paused');
    expect(s.status).toBe('paused');
    expect((await docker.getContainer(s.containerId!).inspect()).State.Paused).toBe(true);
  });

  it('the collector has no network, the session’s user, no capabilities and only the working copy', async () => {
    const core = await testCore();
    const repo = makeRepo();
    const s = await core.service.create({ name: 'nogit-spy', repo, image: BUSYBOX_IMAGE });
    const seen: Array<Record<string, unknown>> = [];
    // Watch the engine for the collector while the diff runs.
    const watch = (async () => {
      for (let i = 0; i < 400 && seen.length === 0; i++) {
        const list = await docker.listContainers({
          all: true,
          filters: { label: [`${LABEL_HOME}=${core.config.home}`, `${LABEL_ROLE}=${ROLE_COLLECTOR}`] },
        });
        for (const c of list) {
          const info = await docker
            .getContainer(c.Id)
            .inspect()
            .catch(() => null);
          if (info) seen.push(info as unknown as Record<string, unknown>);
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await core.service.diff('nogit-spy');
    await watch;
    expect(seen.length).toBeGreaterThan(0);
    const info = seen[0] as {
      Config: { User: string; Labels: Record<string, string> };
      HostConfig: { NetworkMode: string; CapDrop: string[]; SecurityOpt: string[]; Binds: string[] };
    };
    expect(info.Config.User).toBe(s.user);
    expect(info.Config.Labels[LABEL_SESSION_ID]).toBe(s.id);
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
    expect(info.HostConfig.Binds.sort()).toEqual(
      [`${s.workspacePath}:/workspace:rw`, expect.stringMatching(/:\/berth\/objects:ro$/)].sort(),
    );
  });

  it('a collector left behind by a killed daemon is removed by the reconciler; the session stays', async () => {
    const core = await testCore();
    const s = await core.service.create({ name: 'nogit-left', repo: makeRepo(), image: BUSYBOX_IMAGE });
    const left = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['sleep', 'infinity'],
      Labels: {
        [LABEL_MANAGED]: 'true',
        [LABEL_HOME]: core.config.home,
        [LABEL_SESSION_ID]: s.id,
        [LABEL_ROLE]: ROLE_COLLECTOR,
      },
    });
    const r = await core.reconciler.reconcileAll();
    expect(r.removedContainers).toBe(1);
    await expect(left.inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await core.service.get('nogit-left')).status).toBe('running');
  });
});
