import { containersOf, docker, git, httpGet, makeRepo, SESSION_IMAGE, testCore } from '@berth/testkit';
import { describe, expect, it } from 'vitest';

const engineRuntimes = Object.keys(((await docker.info()) as { Runtimes?: object }).Runtimes ?? {});
// Setup registers Debian's runsc with an engine it starts itself; another engine may lack it.
const RUNSC_REGISTERED = engineRuntimes.includes('runsc');

describe.skipIf(!RUNSC_REGISTERED)(
  RUNSC_REGISTERED
    ? 'a real gVisor session (runsc)'
    : 'a real gVisor session (skipped: runsc is not registered with this engine; `berth doctor` says how)',
  () => {
    it('create, exec, a preview, diff and finish, all inside the gVisor sandbox', {
      timeout: 180_000,
    }, async () => {
      const core = await testCore();
      const repo = makeRepo({ 'index.html': '<h1>from gVisor</h1>\n' });
      const s = await core.service.create({
        name: 'boxed',
        repo,
        image: SESSION_IMAGE,
        runtime: 'gvisor',
        preview: { command: ['busybox', 'httpd', '-f', '-p', '8080', '-h', '/workspace'], port: 8080 },
      });
      expect(s.runtime).toBe('gvisor');

      // Its kernel is gVisor's, not the host's.
      const dmesg = await core.service.exec('boxed', ['dmesg']);
      expect(dmesg.stdout.toString()).toMatch(/gVisor/i);

      // The preview answers on its host port, through the sandbox's network.
      expect(s.preview?.hostPort).toEqual(expect.any(Number));
      // Under gVisor's ptrace platform on a loaded machine httpd's fork is slow; a first connection
      // may be dropped, so a few tries (the preview is up: berth waited for its answer).
      await expect
        .poll(() => httpGet(s.preview!.hostPort!, 10_000), {
          timeout: 30_000,
          interval: 500,
        })
        .toMatchObject({ status: 200, body: expect.stringContaining('from gVisor') });

      expect((await core.service.exec('boxed', ['sh', '-c', 'echo boxed > made.txt'])).exitCode).toBe(0);
      expect((await core.service.diff('boxed')).diff).toContain('+boxed');
      const done = await core.service.finish('boxed', 'Made under gVisor');
      expect(done.status).toBe('finished');
      expect(git(repo, 'show', 'berth/boxed:made.txt')).toBe('boxed');
      expect(await containersOf(core.config.home)).toHaveLength(0);
    });

    it('passes the hardening checklist: non-root, no capabilities, no new privileges, limits, init, no socket', async () => {
      const core = await testCore();
      const s = await core.service.create({
        name: 'hardened',
        repo: makeRepo(),
        image: SESSION_IMAGE,
        runtime: 'gvisor',
        pids: 200,
      });
      const info = await docker.getContainer(s.containerId!).inspect();
      expect(info.HostConfig).toMatchObject({
        Runtime: 'runsc',
        CapDrop: ['ALL'],
        Privileged: false,
        Init: true,
        // gVisor's own threads get headroom above the session's 200.
        PidsLimit: 264,
        Memory: s.limits.memoryBytes,
      });
      expect(info.HostConfig.SecurityOpt).toContain('no-new-privileges');
      expect(info.Config.User).toBe(s.user);
      expect(s.user.startsWith('0:')).toBe(false);
      const binds = info.HostConfig.Binds ?? [];
      expect(binds.some((b) => b.includes('docker.sock'))).toBe(false);
      expect(Object.keys(info.HostConfig.PortBindings ?? {})).toEqual([]);

      // From inside: not root, no effective capabilities, no way to gain privileges.
      const status = (await core.service.exec('hardened', ['cat', '/proc/self/status'])).stdout.toString();
      expect(status).toMatch(/^CapEff:\s+0+$/m);
      expect(status).toMatch(/^CapBnd:\s+0+$/m);
      // gVisor's /proc does not show NoNewPrivs; prctl, which setpriv asks, does.
      const privs = (await core.service.exec('hardened', ['setpriv', '-d'])).stdout.toString();
      expect(privs).toMatch(/^no_new_privs: 1$/m);
      expect((await core.service.exec('hardened', ['id', '-u'])).stdout.toString().trim()).not.toBe('0');
    });
  },
);
