import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { BUSYBOX_IMAGE, containersOf, docker, git, makeRepo, SESSION_IMAGE, testCore } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { LABEL_HOME, LABEL_ROLE, ROLE_RELAY } from '../src/index.js';
import { checklistDeviations } from './container-checklist.js';

describe('session lifecycle against the real engine', () => {
  it('finish commits all changes on the session branch and leaves no container', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const repo = makeRepo();
    const s = await core.service.create({ name: 'alpha', repo });
    expect(s.status).toBe('running');
    expect(git(repo, 'rev-parse', 'berth/alpha')).toBe(git(repo, 'rev-parse', 'main'));

    const w = await core.service.exec('alpha', [
      'sh',
      '-c',
      'echo hello > notes.txt && git status --porcelain',
    ]);
    expect(w.exitCode).toBe(0);
    expect(w.stdout.toString()).toContain('?? notes.txt');
    expect(w.stderr.toString()).not.toContain('dubious');

    const done = await core.service.finish('alpha', 'Add notes');
    expect(done.status).toBe('finished');
    expect(git(repo, 'log', '-1', '--format=%s', 'berth/alpha')).toBe('Add notes');
    expect(git(repo, 'show', 'berth/alpha:notes.txt')).toBe('hello');
    expect(await containersOf(core.config.home)).toHaveLength(0);
    expect(existsSync(s.workspacePath!)).toBe(false);
    expect(git(repo, 'for-each-ref', 'refs/berth/')).toBe('');
  });

  it("finish keeps the agent's own commits and what it left uncommitted", async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const repo = makeRepo();
    await core.service.create({ name: 'agent', repo });
    const work = await core.service.exec('agent', [
      'sh',
      '-c',
      'echo a > a.txt && git add a.txt && git commit -qm "agent: add a" && echo b > b.txt && echo more >> README.md',
    ]);
    expect(work.exitCode, work.stderr.toString()).toBe(0);
    await core.service.finish('agent', 'Leftovers');
    expect(git(repo, 'log', '--format=%s', 'main..berth/agent').split('\n')).toEqual([
      'Leftovers',
      'agent: add a',
    ]);
    expect(git(repo, 'show', 'berth/agent:a.txt')).toBe('a');
    expect(git(repo, 'show', 'berth/agent:b.txt')).toBe('b');
    expect(git(repo, 'show', 'berth/agent:README.md')).toBe('# demo\nmore');
  });

  it("works on a repository in the user's home, wherever the session's user may not look", async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    // As root this is /root (mode 0700 in the image too): the session must not need that path.
    const repo = makeRepo(undefined, homedir());
    await core.service.create({ name: 'homed', repo });
    const r = await core.service.exec('homed', ['sh', '-c', 'git log --oneline && echo x > x.txt']);
    expect(r.exitCode, r.stderr.toString()).toBe(0);
    await core.service.finish('homed', 'From home');
    expect(git(repo, 'show', 'berth/homed:x.txt')).toBe('x');
  });

  it('finish with no changes leaves the branch at its base', async () => {
    const core = await testCore({ defaultImage: SESSION_IMAGE });
    const repo = makeRepo();
    await core.service.create({ name: 'idle', repo });
    const done = await core.service.finish('idle', 'Nothing');
    expect(done.statusReason).toBe('finished with no changes');
    expect(git(repo, 'rev-parse', 'berth/idle')).toBe(git(repo, 'rev-parse', 'main'));
  });

  it('cancel removes the branch, the working copy and the container', async () => {
    const core = await testCore();
    const repo = makeRepo();
    const s = await core.service.create({ name: 'beta', repo });
    await core.service.exec('beta', ['sh', '-c', 'mkdir -p locked && touch locked/f && chmod 000 locked']);
    await core.service.cancel('beta');
    expect(git(repo, 'branch', '--list', 'berth/*')).toBe('');
    expect(git(repo, 'for-each-ref', 'refs/berth/')).toBe('');
    expect(existsSync(s.workspacePath!)).toBe(false);
    expect(await containersOf(core.config.home)).toHaveLength(0);
  });

  it('exec keeps stdout, stderr and the exit code apart', async () => {
    const core = await testCore();
    await core.service.create({ name: 'gamma', repo: makeRepo() });
    const r = await core.service.exec('gamma', ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toMatchObject({ exitCode: 3 });
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr.toString()).toBe('err\n');
  });

  it('pause, resume, stop, start and restart move the status and the container together', async () => {
    const core = await testCore();
    const s = await core.service.create({ name: 'delta', repo: makeRepo() });
    const state = async () => (await docker.getContainer(s.containerId!).inspect()).State;
    expect((await core.service.pause('delta')).status).toBe('paused');
    expect((await state()).Paused).toBe(true);
    await expect(core.service.exec('delta', ['true'])).rejects.toMatchObject({
      code: 'illegal_transition',
      hint: 'resume it with `berth resume delta`',
    });
    expect((await core.service.resume('delta')).status).toBe('running');
    expect((await core.service.stop('delta')).status).toBe('stopped');
    expect((await state()).Running).toBe(false);
    expect((await core.service.start('delta')).status).toBe('running');
    expect((await core.service.restart('delta')).status).toBe('running');
    expect((await state()).Running).toBe(true);
  });

  it("every container berth makes passes docs/security.md's container checklist", async () => {
    const core = await testCore();
    const repo = makeRepo();
    await core.service.create({ name: 'plain', repo });
    await core.service.create({
      name: 'tuned',
      repo,
      cpus: 0.5,
      memoryBytes: 64 * 1024 ** 2,
      env: { A: '1' },
    });
    await core.service.create({ name: 'real', repo, image: SESSION_IMAGE });
    await core.service.pause('tuned');
    const made = await containersOf(core.config.home);
    expect(made).toHaveLength(3);
    for (const c of made) {
      const info = await docker.getContainer(c.Id).inspect();
      expect(checklistDeviations(info), info.Name).toEqual([]);
    }
    // berth's egress relay, on every session's network: the same checklist, but it is no session's.
    const [relay] = await docker.listContainers({
      filters: { label: [`${LABEL_HOME}=${core.config.home}`, `${LABEL_ROLE}=${ROLE_RELAY}`] },
    });
    const relayInfo = await docker.getContainer(relay!.Id).inspect();
    expect(checklistDeviations(relayInfo).filter((d) => !/^label dev\.berth\.session/.test(d))).toEqual([]);
    expect(relayInfo.HostConfig.ReadonlyRootfs).toBe(true);
  });

  it('the checklist catches a container that deviates (control)', async () => {
    const bad = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      Cmd: ['true'],
      HostConfig: { Binds: ['/etc:/host-etc'], CapAdd: ['NET_ADMIN'] },
    });
    try {
      const found = checklistDeviations(await bad.inspect());
      expect(found).toEqual(
        expect.arrayContaining([
          'runs as root (User="")',
          'CapAdd is ["NET_ADMIN"]',
          'mounts /etc',
          'no init process',
        ]),
      );
    } finally {
      await bad.remove({ force: true });
    }
  });
});
