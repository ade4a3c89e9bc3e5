#!/usr/bin/env node
// One-shot setup for a fresh machine: dependencies, a Docker Engine that answers, the build,
// and (with --for-tests) the images the test suites use. Plain Node: it runs before any install.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--for-tests');
const TEST_BUSYBOX_IMAGE = 'berth-test/busybox:1';

const step = (msg) => process.stderr.write(`setup: ${msg}\n`);
const fail = (msg, hint) => {
  process.stderr.write(`setup: ${msg}\n${hint ? `  -> ${hint}\n` : ''}`);
  process.exit(1);
};
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) fail(`\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`);
};
const quiet = (cmd, args) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const has = (cmd) => quiet('sh', ['-c', `command -v ${cmd}`]);
const isRoot = process.getuid?.() === 0;
const isDebian = existsSync('/etc/debian_version');
let aptUpdated = false;
const aptInstall = (pkgs) => {
  if (!aptUpdated) run('apt-get', ['update', '-qq']);
  aptUpdated = true;
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
};

function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  step('installing dependencies (npm ci; better-sqlite3 compiles from source, about two minutes)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

function engineAnswers() {
  return quiet('docker', ['version', '--format', '{{.Server.Version}}']);
}

function ensureEngine() {
  if (engineAnswers()) return;
  if (!isRoot || !isDebian) {
    fail(
      'no Docker Engine answers.',
      'start Docker (Docker Desktop, or `sudo systemctl start docker`), make sure your user may use ' +
        '/var/run/docker.sock (`sudo usermod -aG docker $USER`), then run this again.',
    );
  }
  if (!has('dockerd')) {
    step("installing Debian's docker.io (about 20 s)");
    aptInstall(['docker.io']);
  }
  if (engineAnswers()) return;
  step('starting dockerd in the background (log: /var/log/berth-dockerd.log)');
  const log = openSync('/var/log/berth-dockerd.log', 'a');
  spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] }).unref();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (engineAnswers()) return;
    spawnSync('sleep', ['0.5']);
  }
  fail('dockerd did not answer within 60 s.', 'read /var/log/berth-dockerd.log for the reason.');
}

function imageExists(name) {
  return quiet('docker', ['image', 'inspect', name]);
}

// A ~2 MB image from the host's static busybox: fast to start, enough for lifecycle tests.
function ensureBusyboxImage() {
  if (imageExists(TEST_BUSYBOX_IMAGE)) return;
  if (!existsSync('/bin/busybox')) {
    if (!isRoot || !isDebian)
      fail('the test image needs /bin/busybox.', 'install busybox-static and run again.');
    aptInstall(['busybox-static']);
  }
  step(`building ${TEST_BUSYBOX_IMAGE} from the host's busybox`);
  const dir = mkdtempSync(join(tmpdir(), 'berth-busybox-'));
  try {
    const rootfs = join(dir, 'rootfs');
    for (const d of ['bin', 'etc', 'tmp', 'workspace', 'home/berth'])
      mkdirSync(join(rootfs, d), { recursive: true });
    execFileSync('cp', ['/bin/busybox', join(rootfs, 'bin/busybox')]);
    const applets = execFileSync('/bin/busybox', ['--list']).toString().split('\n').filter(Boolean);
    for (const applet of applets) {
      if (applet !== 'busybox') spawnSync('ln', ['-s', 'busybox', join(rootfs, 'bin', applet)]);
    }
    writeFileSync(
      join(rootfs, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nberth:x:1000:1000::/home/berth:/bin/sh\n',
    );
    writeFileSync(join(rootfs, 'etc/group'), 'root:x:0:\nberth:x:1000:\n');
    execFileSync('chmod', ['1777', join(rootfs, 'tmp'), join(rootfs, 'home/berth')]);
    const tar = join(dir, 'rootfs.tar');
    execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    run('docker', [
      'import',
      '-c',
      'ENV PATH=/bin',
      '-c',
      'CMD ["sleep", "2147483647"]',
      '-c',
      'LABEL dev.berth.image=test-busybox',
      tar,
      TEST_BUSYBOX_IMAGE,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The real session image, made the way a user makes it: `berth image bootstrap` (offline base)
// then `berth image build` (berth's Dockerfile).
function ensureSessionImage() {
  const cli = join(root, 'packages/cli/dist/bin.js');
  if (quiet('node', [cli, 'image', 'status', '--quiet'])) return;
  if (!has('mmdebstrap') && isRoot && isDebian) aptInstall(['mmdebstrap']);
  run('node', [cli, 'image', 'bootstrap', '--if-missing']);
  run('node', [cli, 'image', 'build']);
}

ensureDependencies();
ensureEngine();
if (forTests || process.argv.includes('--images')) {
  step('building berth');
  run('npm', ['run', '-s', 'build']);
  ensureBusyboxImage();
  ensureSessionImage();
}
step('ready');
