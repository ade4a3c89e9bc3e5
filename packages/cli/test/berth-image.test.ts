/**
 * berth's own image (docker/berth, built as berth/berth:dev by scripts/setup.mjs --for-tests), run
 * the way README "berth in a container" says: the host's engine socket mounted, the state directory
 * and the repository mounted at their own paths, the host user's uid with the socket's group.
 */
import { execFile, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { BERTH_VERSION } from '@berth/api';
import { BerthClient } from '@berth/api/node';
import { LABEL_HOME } from '@berth/core';
import { BUSYBOX_IMAGE, docker, makeRepo, removeContainersOf, tempDir } from '@berth/testkit';
import { describe, expect, it, onTestFinished, vi } from 'vitest';

const IMAGE = 'berth/berth:dev';
const SOCKET = '/var/run/docker.sock';
const TEST_LABEL = 'dev.berth.test';
const execFileP = promisify(execFile);

// The container must reach the engine through a socket file it can mount; an engine elsewhere
// (DOCKER_HOST=tcp://…) cannot be handed in this way.
const noSocket = !existsSync(SOCKET) ? `no Docker socket at ${SOCKET} to mount into the container` : '';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function dockerCli(...args: string[]): Promise<Run> {
  return dockerWithin(0, ...args);
}

/** The docker CLI, ended after `ms` (0: never) should it hang; its container goes with the test's. */
function dockerWithin(ms: number, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('docker', args, { maxBuffer: 16 * 1024 * 1024, timeout: ms }, (err, stdout, stderr) => {
      const hung = err?.killed ? `\n(still running after ${ms} ms: killed)` : '';
      resolve({
        code: err ? (typeof err.code === 'number' ? err.code : 1) : 0,
        stdout,
        stderr: stderr + hung,
      });
    });
  });
}

/**
 * The `docker run` options every mode needs, for a fresh state directory; everything the test makes
 * (the berth container by its test label, sessions by their home label) is removed after it.
 */
function berthContainer(): { state: string; tag: string; args: (...extra: string[]) => string[] } {
  const state = tempDir('berth-image-state-');
  const tag = `berth-image-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  onTestFinished(async () => {
    const mine = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${tag}`] } });
    await Promise.all(
      mine.map((c) =>
        docker
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => undefined),
      ),
    );
    await removeContainersOf(state);
  });
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const args = (...extra: string[]) => [
    '--label',
    `${TEST_LABEL}=${tag}`,
    '--user',
    `${uid}:${gid}`,
    '--group-add',
    String(statSync(SOCKET).gid),
    '-v',
    `${SOCKET}:${SOCKET}`,
    '-v',
    `${state}:${state}`,
    '-e',
    `BERTH_HOME=${state}`,
    '-e',
    `BERTH_IMAGE=${BUSYBOX_IMAGE}`,
    ...extra,
  ];
  return { state, tag, args };
}

describe.skipIf(noSocket)(`berth in a container (${IMAGE})`, () => {
  it('is built by setup, small, and runs as a non-root user by default', async () => {
    const inspect = await dockerCli('image', 'inspect', '-f', '{{.Size}} {{.Config.User}}', IMAGE);
    expect(inspect.code, `${IMAGE} is missing: run \`node scripts/setup.mjs --for-tests\``).toBe(0);
    const [size, user] = inspect.stdout.trim().split(' ');
    expect(Number(size)).toBeLessThan(300 * 1024 * 1024);
    expect(user).toBe('1000:1000');
  });

  // Two containers each start and stop a daemon: on a loaded machine that passes a minute.
  it('cli mode runs `berth doctor --json` against the host engine and exits with its code', {
    timeout: 150_000,
  }, async () => {
    const c = berthContainer();
    const r = await dockerCli('run', '--rm', ...c.args(), IMAGE, 'cli', 'doctor', '--json');
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string }[] };
    const byName = Object.fromEntries(report.checks.map((x) => [x.name, x]));
    const engine = (await docker.version()).Version;
    expect(byName['docker engine']).toMatchObject({ status: 'ok', detail: engine });
    expect(byName.git?.status).toBe('ok');
    expect(byName['berth home']).toMatchObject({ status: 'ok', detail: c.state });
    expect(byName.daemon?.detail).toMatch(/^running/);
    // The daemon it started is gone: its pid file and socket were removed on the way out.
    expect(existsSync(`${c.state}/berth.pid`)).toBe(false);
    expect(existsSync(`${c.state}/berth.sock`)).toBe(false);

    const failing = await dockerCli('run', '--rm', ...c.args(), IMAGE, 'cli', 'show', 'no-such-session');
    expect(failing.code).not.toBe(0);
    expect(failing.code).not.toBe(125); // the command's own code, not docker's
  });

  it('cli mode refuses a state directory the host cannot see, with the mount to add', async () => {
    const c = berthContainer();
    const r = await dockerCli(
      'run',
      '--rm',
      ...c.args('-e', 'BERTH_HOME=/tmp/not-mounted'),
      IMAGE,
      'cli',
      'ls',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('BERTH_HOME=/tmp/not-mounted is not a directory mounted from the host');
    expect(r.stderr).toContain('-v "$HOME/.berth:$HOME/.berth"');
  });

  it('a daemon container removed with `docker rm -f` leaves a pid file that does not block the next `cli` run', async () => {
    const c = berthContainer();
    const started = await dockerCli('run', '-d', ...c.args(), IMAGE, 'daemon');
    expect(started.code, started.stderr).toBe(0);
    const client = new BerthClient({ socketPath: `${c.state}/berth.sock` });
    // Until the daemon answers.
    const running = await vi.waitFor(() => client.daemonInfo(), { timeout: 30_000, interval: 200 });
    expect((await dockerCli('rm', '-f', started.stdout.trim())).code).toBe(0);
    // Killed, it removed nothing: its pid file names a pid that the next container reuses.
    const stale = readFileSync(`${c.state}/berth.pid`, 'utf8');
    expect(stale.split('\n')[0]).toBe(String(running.pid));

    const r = await dockerCli('run', '--rm', ...c.args(), IMAGE, 'cli', 'daemon', 'status', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ running: true, home: c.state });
    expect(existsSync(`${c.state}/berth.pid`)).toBe(false);
  });

  it('a pid file naming a live process of the next container (its pid 1) is stale, not a daemon', async () => {
    const c = berthContainer();
    // pid 1 (tini) runs in every container: a pid alone, as a daemon killed before berth recorded
    // its start left it, says nothing about the process that has that pid now.
    writeFileSync(`${c.state}/berth.pid`, '1\n');
    const r = await dockerCli('run', '--rm', ...c.args(), IMAGE, 'cli', 'ls', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('already runs');
    expect(JSON.parse(r.stdout)).toEqual([]);
  });

  it('a state directory that is not its user’s exits at once naming the fix; `cli --version` needs no daemon', async () => {
    const c = berthContainer();
    // Writable by anyone but owned by another uid: berth could write but not make it private.
    chmodSync(c.state, 0o777);
    const stranger = String((process.getuid?.() ?? 0) + 4242);
    const as = [...c.args(), '--user', `${stranger}:${stranger}`];
    const version = await dockerWithin(30_000, 'run', '--rm', ...as, IMAGE, 'cli', '--version');
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout.trim()).toBe(BERTH_VERSION);
    expect(existsSync(`${c.state}/berth.pid`)).toBe(false); // no daemon was started for it

    const ls = await dockerWithin(30_000, 'run', '--rm', ...as, IMAGE, 'cli', 'ls');
    expect(ls.code).toBe(2);
    expect(ls.stderr).toContain(`BERTH_HOME=${c.state} belongs to uid ${process.getuid?.() ?? 0}`);
    expect(ls.stderr).toContain('--user "$(id -u):$(id -g)"');
    expect(ls.stderr).toContain('sudo chown -R');

    // The daemon itself says the same, and exits, when started past the launcher.
    const serve = await dockerWithin(30_000, 'run', '--rm', ...as, IMAGE, 'shell', '-c', 'berth serve');
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain(
      `belongs to uid ${process.getuid?.() ?? 0}, and berth runs as uid ${stranger}`,
    );
  });

  // Needs root on the host to hand the state directory to another user.
  it.skipIf(process.getuid?.() !== 0)(
    'as root it drops to the owner of BERTH_HOME with the socket’s group; without that group it says what to add',
    async () => {
      const c = berthContainer();
      chownSync(c.state, 1000, 1000);
      const r = await dockerCli('run', '--rm', ...c.args(), '--user', '0:0', IMAGE, 'cli', 'ls', '--json');
      expect(r.code, r.stderr).toBe(0);
      expect(statSync(`${c.state}/berth.db`).uid).toBe(1000);
      const who = await dockerCli(
        'run',
        '--rm',
        ...c.args(),
        '--user',
        '0:0',
        IMAGE,
        'shell',
        '-c',
        'id -u; id -G',
      );
      const [uid, groups] = who.stdout.trim().split('\n');
      expect(uid).toBe('1000');
      expect(groups?.split(' ')).toContain(String(statSync(SOCKET).gid));

      const sock = statSync(SOCKET);
      if ((sock.mode & 0o006) !== 0o006 && sock.uid !== 1000) {
        const denied = await dockerCli(
          'run',
          '--rm',
          '-v',
          `${SOCKET}:${SOCKET}`,
          '-v',
          `${c.state}:${c.state}`,
          '-e',
          `BERTH_HOME=${c.state}`,
          '--label',
          `${TEST_LABEL}=${c.tag}`,
          IMAGE,
          'cli',
          'ls',
        );
        expect(denied.code).toBe(2);
        expect(denied.stderr).toContain(`user 1000 may not use ${SOCKET}`);
        expect(denied.stderr).toContain('--group-add');
      }
    },
  );

  it('daemon mode answers /health on a published port, and a session made through its API runs on the host engine', async () => {
    const c = berthContainer();
    const repo = makeRepo();
    const password = `pw-${Math.random().toString(36).slice(2)}`;
    const started = await dockerCli(
      'run',
      '-d',
      '-p',
      '127.0.0.1::8080',
      ...c.args(
        '-v',
        `${repo}:${repo}`,
        '-e',
        'BERTH_ADMIN_USERNAME=admin',
        '-e',
        `BERTH_ADMIN_PASSWORD=${password}`,
      ),
      IMAGE,
      'daemon',
    );
    expect(started.code, started.stderr).toBe(0);
    const id = started.stdout.trim();
    const port = (await dockerCli('port', id, '8080/tcp')).stdout.trim().split('\n')[0]?.split(':').pop();
    const url = `http://127.0.0.1:${port}`;
    const health = await vi.waitFor(
      async () => {
        const res = await fetch(`${url}/health`);
        if (!res.ok) throw new Error(`/health answered ${res.status}`);
        return (await res.json()) as { status?: string };
      },
      { timeout: 30_000, interval: 200 },
    );
    expect(health).toBeTruthy();
    // Auth is on: nothing but /health answers without credentials.
    expect((await fetch(`${url}/api/v1/sessions`)).status).toBe(401);

    const anon = new BerthClient({ url });
    const login = await anon.login('admin', password);
    const { token } = await anon.createToken('image-test', { as: login });
    const api = new BerthClient({ url, token });
    const session = await api.createSession({ name: 'boxed', repo });
    expect(session.status).toBe('running');
    // The session's container is the host engine's, labelled with the state directory's path.
    const made = await docker.listContainers({ filters: { label: [`${LABEL_HOME}=${c.state}`] } });
    expect(made).toHaveLength(1);
    const inside = await docker.getContainer(made[0]!.Id).inspect();
    expect(inside.Mounts.some((m) => m.Source.startsWith(c.state) && m.Destination === '/workspace')).toBe(
      true,
    );
    const ls = await execFileP('docker', ['exec', made[0]!.Id, 'cat', '/workspace/README.md']);
    expect(ls.stdout).toBe('# demo\n');

    await api.remove('boxed', true);
    expect(await api.listSessions()).toHaveLength(0);
    expect(
      await docker.listContainers({ all: true, filters: { label: [`${LABEL_HOME}=${c.state}`] } }),
    ).toHaveLength(0);
    // SIGTERM drains and exits 0 (tini passes the signal on).
    expect((await dockerCli('stop', '-t', '15', id)).code).toBe(0);
    expect((await dockerCli('inspect', '-f', '{{.State.ExitCode}}', id)).stdout.trim()).toBe('0');
  });

  it('interactive mode starts the daemon and drops into a shell (a real pty) where `berth ls` works', async () => {
    const c = berthContainer();
    const repo = makeRepo();
    const run = [
      'docker',
      'run',
      '--rm',
      '-it',
      ...c.args('-v', `${repo}:${repo}`, '-e', `BERTH_WORKSPACE=${repo}`),
      IMAGE,
      'interactive',
    ];
    // util-linux `script` gives `docker run -it` a real pseudo-terminal, as a user's terminal would.
    const child = spawn('script', ['-qfec', run.join(' '), '/dev/null'], {
      env: { ...process.env, COLUMNS: '120', LINES: '30', TERM: 'xterm' },
    });
    let screen = '';
    let typed = false;
    child.stdout.on('data', (d: Buffer) => {
      screen += d.toString('utf8');
      if (!typed && /berth:[^\n]*[$#] $/.test(screen)) {
        typed = true;
        setTimeout(
          () =>
            child.stdin.write(
              'berth ls; echo "ws=$(pwd -P) who=$(id -u)"; berth ls --json | wc -c; exit 7\r',
            ),
          200,
        );
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(screen).toContain('is running (state:');
    expect(screen).toContain('no sessions running');
    expect(screen).toContain(`ws=${repo} who=${process.getuid?.() ?? 0}`);
    expect(screen).not.toContain('command not found');
    expect(code).toBe(7);
    // Leaving the shell stopped the daemon.
    expect(existsSync(`${c.state}/berth.pid`)).toBe(false);
  }, 90_000);
});
