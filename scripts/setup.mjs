#!/usr/bin/env node
// One-shot setup for a fresh machine: dependencies, a Docker Engine that answers, the build,
// and (with --for-tests) the images the test suites use and a PostgreSQL server for the store
// tests. Plain Node: it runs before any install.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--for-tests');
const TEST_BUSYBOX_IMAGE = 'berth-test/busybox:1';
const TEST_NODE_IMAGE = 'berth-test/node:1';
const TEST_AGENT_IMAGE = 'berth-test/agent:1';
// berth's own image (docker/berth), built from the bootstrapped base: the container tests run it.
const BERTH_IMAGE = 'berth/berth:dev';
// Where the tests find their PostgreSQL (test/kit/src/postgres.ts reads it).
const TEST_DATABASE_URL_FILE = join(root, 'node_modules/.cache/berth/test-database-url');
const TEST_ROLE = 'berth_test';

const step = (msg) => process.stderr.write(`setup: ${msg}\n`);
const fail = (msg, hint) => {
  process.stderr.write(`setup: ${msg}\n${hint ? `  -> ${hint}\n` : ''}`);
  process.exit(1);
};
// `tries`: a step that downloads (npm ci) meets the odd connection a registry or a proxy resets
// on the way, so it gets more than one, with a pause between, before setup gives up.
const run = (cmd, args, opts = {}, tries = 1) => {
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
    if (r.status === 0) return;
    const how = `\`${cmd} ${args.join(' ')}\` failed (exit ${r.status ?? r.signal})`;
    if (attempt >= tries)
      fail(tries === 1 ? how : `${how} ${tries} times; check the network or the proxy, then run this again`);
    step(`${how}; retrying in ${attempt * 10} s (try ${attempt + 1} of ${tries})`);
    spawnSync('sleep', [String(attempt * 10)]);
  }
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
  run('npm', ['ci', '--no-audit', '--no-fund'], {}, 3);
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
  // An engine setup starts itself gets gVisor too, so `--runtime gvisor` works from the start.
  registerGvisor();
  step('starting dockerd in the background (log: /var/log/berth-dockerd.log)');
  const log = openSync('/var/log/berth-dockerd.log', 'a');
  const dockerd = spawn('dockerd', [], { detached: true, stdio: ['ignore', log, log] });
  dockerd.unref();
  writeFileSync(DOCKERD_PID_FILE, `${dockerd.pid}\n`);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (engineAnswers()) return;
    spawnSync('sleep', ['0.5']);
  }
  fail('dockerd did not answer within 60 s.', 'read /var/log/berth-dockerd.log for the reason.');
}

// Where setup notes the dockerd it started: only that engine's config is setup's to change.
const DOCKERD_PID_FILE = '/run/berth-dockerd.pid';
const DOCKER_DAEMON_JSON = '/etc/docker/daemon.json';
// Debian's runsc (a 2022 build) runs only with its own network off or on the host's: with
// --network=host a container still gets Docker's bridge, as under runc.
const RUNSC_RUNTIME = { path: '/usr/bin/runsc', runtimeArgs: ['--network=host'] };

/** Installs Debian's runsc and registers it as `runsc` in daemon.json; true when it changed the file. */
function registerGvisor() {
  if (!has('runsc')) {
    step("installing Debian's runsc (gVisor) for --runtime gvisor");
    aptInstall(['runsc']);
  }
  let config = {};
  if (existsSync(DOCKER_DAEMON_JSON)) {
    try {
      config = JSON.parse(readFileSync(DOCKER_DAEMON_JSON, 'utf8'));
    } catch {
      step(`${DOCKER_DAEMON_JSON} is not JSON: gVisor left unregistered`);
      return false;
    }
  }
  if (config.runtimes?.runsc) return false;
  config.runtimes = { ...config.runtimes, runsc: RUNSC_RUNTIME };
  mkdirSync(dirname(DOCKER_DAEMON_JSON), { recursive: true });
  writeFileSync(DOCKER_DAEMON_JSON, `${JSON.stringify(config, null, 2)}\n`);
  step(`registered gVisor's runsc with the Docker Engine (${DOCKER_DAEMON_JSON})`);
  return true;
}

function engineRuntimes() {
  const r = spawnSync('docker', ['info', '--format', '{{json .Runtimes}}'], { encoding: 'utf8' });
  try {
    return Object.keys(JSON.parse(r.stdout || '{}'));
  } catch {
    return [];
  }
}

/**
 * The dockerd that an earlier setup started may predate gVisor: register runsc and have it reload
 * its config (SIGHUP reloads `runtimes`; nothing restarts). Any other engine is the user's: doctor
 * says how to register it there.
 */
function ensureGvisorOnSetupsEngine() {
  if (!isRoot || !isDebian || engineRuntimes().includes('runsc')) return;
  let pid = 0;
  try {
    pid = Number(readFileSync(DOCKERD_PID_FILE, 'utf8').trim());
  } catch {
    return;
  }
  let comm = '';
  try {
    comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {}
  if (comm !== 'dockerd') return;
  registerGvisor();
  process.kill(pid, 'SIGHUP');
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !engineRuntimes().includes('runsc')) spawnSync('sleep', ['0.3']);
  if (!engineRuntimes().includes('runsc'))
    step('dockerd did not pick up runsc: `--runtime gvisor` stays off');
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

const SESSION_IMAGE = 'berth/session:bookworm';

// The session image carries Node.js itself (docker/session/Dockerfile): the preview tests' name for it.
function ensureNodeImage() {
  if (imageExists(TEST_NODE_IMAGE) && builtOnSessionImage(TEST_NODE_IMAGE)) return;
  step(`building ${TEST_NODE_IMAGE} from the session image`);
  run('docker', ['build', '-q', '-t', TEST_NODE_IMAGE, '-'], {
    input: `FROM ${SESSION_IMAGE}\nLABEL dev.berth.image=test-node\n`,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
}

/** Whether an image was built on the session image as it is now (its layers start with the session image's). */
function builtOnSessionImage(image) {
  const layers = (ref) => {
    const r = spawnSync('docker', ['image', 'inspect', '-f', '{{json .RootFS.Layers}}', ref], {
      encoding: 'utf8',
    });
    return r.status === 0 ? JSON.parse(r.stdout) : null;
  };
  const base = layers(SESSION_IMAGE);
  const mine = layers(image);
  return base !== null && mine !== null && base.every((layer, i) => mine[i] === layer);
}

// The real session image, made the way a user makes it: `berth image bootstrap` (offline base)
// then `berth image build` (berth's Dockerfile). One without the Node.js berth pins now (an image
// built before it carried Node, or an older pin) is built again.
function ensureSessionImage() {
  const cli = join(root, 'packages/cli/dist/bin.js');
  const pinned = readFileSync(join(root, 'packages/core/src/images/session-node.ts'), 'utf8').match(
    /SESSION_NODE_VERSION = '([^']+)'/,
  )?.[1];
  if (quiet('node', [cli, 'image', 'status', '--quiet'])) {
    const version = ['run', '--rm', '--network', 'none', SESSION_IMAGE, 'node', '--version'];
    const node = spawnSync('docker', version, { encoding: 'utf8' });
    if (node.status === 0 && node.stdout.trim() === `v${pinned}`) return;
    step(`${SESSION_IMAGE} does not have Node.js ${pinned}: building it again`);
  }
  if (!has('mmdebstrap') && isRoot && isDebian) aptInstall(['mmdebstrap']);
  run('node', [cli, 'image', 'bootstrap', '--if-missing']);
  run('node', [cli, 'image', 'build']);
}

// The session image plus a stand-in agent (docker/test-agent): the agent tests' profile runs it.
function ensureAgentTestImage() {
  if (imageExists(TEST_AGENT_IMAGE) && builtOnSessionImage(TEST_AGENT_IMAGE)) return;
  step(`building ${TEST_AGENT_IMAGE}`);
  run('docker', ['build', '-q', '-t', TEST_AGENT_IMAGE, join(root, 'docker/test-agent')]);
}

// The pinned agent CLIs in their volume, as `berth image agents` installs them (once: about a
// minute and 1.3 GB; afterwards it only reads what is installed): the agent tests share it.
function ensureAgentTools() {
  run('node', [join(root, 'packages/cli/dist/bin.js'), 'image', 'agents']);
}

// berth's own image (docker/berth/Dockerfile) on the bootstrapped base, which has no Node: the
// host's Node, npm and headers go into the context as berth-node.tar, with the host's extra CA
// certificates (npm ci inside goes through a TLS-inspecting proxy where there is one). Built when
// the sources changed (a hash of the context labels the image); else the engine's cache answers.
function ensureBerthImage() {
  const base = 'berth/base:bookworm';
  if (!imageExists(base)) fail(`building ${BERTH_IMAGE} needs ${base}`, 'run `berth image bootstrap`');
  const dir = mkdtempSync(join(tmpdir(), 'berth-image-'));
  try {
    const context = join(dir, 'context.tar');
    const sources = [
      'package.json',
      'package-lock.json',
      'tsconfig.base.json',
      'tsconfig.test.json',
      'packages',
      'test/kit/package.json',
      'docker/berth',
      'docker/session',
    ];
    const excludes = [
      'node_modules',
      'dist',
      '*.tsbuildinfo',
      'packages/api/test',
      'packages/core/test',
      'packages/server/test',
      'packages/cli/test',
    ].map((e) => `--exclude=${e}`);
    execFileSync('tar', [
      '-cf',
      context,
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      ...excludes,
      '-C',
      root,
      ...sources,
    ]);
    const hash = execFileSync('sha256sum', [context]).toString().slice(0, 16);
    const current = spawnSync(
      'docker',
      ['image', 'inspect', '-f', '{{index .Config.Labels "dev.berth.source"}}', BERTH_IMAGE],
      { encoding: 'utf8' },
    );
    if (current.status === 0 && current.stdout.trim() === hash) return;

    const node = execFileSync('sh', ['-c', 'readlink -f "$(command -v node)"']).toString().trim();
    const prefix = dirname(dirname(node));
    const stage = join(dir, 'node');
    mkdirSync(join(stage, 'usr/local/bin'), { recursive: true });
    mkdirSync(join(stage, 'usr/local/lib/node_modules'), { recursive: true });
    mkdirSync(join(stage, 'usr/local/include'), { recursive: true });
    execFileSync('cp', [node, join(stage, 'usr/local/bin/node')]);
    execFileSync('cp', [
      '-r',
      join(prefix, 'lib/node_modules/npm'),
      join(stage, 'usr/local/lib/node_modules/npm'),
    ]);
    if (existsSync(join(prefix, 'include/node/common.gypi')))
      execFileSync('cp', ['-r', join(prefix, 'include/node'), join(stage, 'usr/local/include/node')]);
    execFileSync('tar', ['-cf', join(dir, 'berth-node.tar'), '-C', stage, 'usr']);
    const extras = ['berth-node.tar'];
    const caDir = '/usr/local/share/ca-certificates';
    const cas = existsSync(caDir) ? readdirSync(caDir).filter((f) => f.endsWith('.crt')) : [];
    cas.forEach((f, i) => {
      execFileSync('cp', [join(caDir, f), join(dir, `berth-ca-${i}.crt`)]);
      extras.push(`berth-ca-${i}.crt`);
    });
    execFileSync('tar', ['-rf', context, '-C', dir, ...extras]);

    const proxyArgs = Object.entries(process.env)
      .filter(([k, v]) => /^(?:HTTP|HTTPS|NO|ALL)_PROXY$/i.test(k) && v)
      .flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    step(`building ${BERTH_IMAGE} (npm ci and the build inside; a few minutes the first time)`);
    const started = Date.now();
    run(
      'docker',
      [
        'build',
        '-q',
        '-f',
        'docker/berth/Dockerfile',
        '--build-arg',
        `BASE=${base}`,
        ...proxyArgs,
        '--label',
        `dev.berth.source=${hash}`,
        '-t',
        BERTH_IMAGE,
        '-',
      ],
      { stdio: [openSync(context, 'r'), 'ignore', 'inherit'] },
    );
    step(`built ${BERTH_IMAGE} in ${Math.round((Date.now() - started) / 1000)} s`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Debian's Chromium, for the dashboard's end-to-end tests (playwright-core drives it) and the bench.
const CHROMIUM = '/usr/bin/chromium';

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  if (!isRoot || !isDebian) {
    step(
      `no Chromium at ${CHROMIUM}: the dashboard's end-to-end tests (packages/web/test/e2e) fail without it.\n` +
        "  -> install Debian's chromium (`sudo apt-get install chromium`), or run this as root on Debian, " +
        'where it installs it itself.',
    );
    return;
  }
  step("installing Debian's chromium for the dashboard's end-to-end tests (about 40 s)");
  aptInstall(['chromium']);
  if (!existsSync(CHROMIUM)) fail(`apt installed chromium but ${CHROMIUM} is missing.`);
}

// --- sshd for the remote-repository tests ---------------------------------------------------

const SSHD = '/usr/sbin/sshd';
function ensureSshd() {
  if (existsSync(SSHD)) return;
  if (!isRoot || !isDebian) {
    step(
      `no sshd at ${SSHD}: the remote-repository SSH tests skip without it.\n` +
        '  -> install openssh-server (`sudo apt-get install openssh-server`), or run this as root on Debian.',
    );
    return;
  }
  step('installing openssh-server for the remote-repository SSH tests');
  aptInstall(['openssh-server']);
}

// --- compose: docker-compose and the local PostgreSQL image (test/compose.test.ts) ------------

const LOCAL_POSTGRES_IMAGE = 'berth/postgres:15';

// compose.yaml's stand-in for the official postgres image where no registry is reachable
// (docker/compose.local-postgres.yaml): Debian's postgresql-15 on the bootstrapped base. Built once;
// the host's extra CA certificates go in (an https apt mirror) and so do its proxy settings.
function ensureLocalPostgresImage() {
  if (imageExists(LOCAL_POSTGRES_IMAGE)) return;
  const base = 'berth/base:bookworm';
  if (!imageExists(base))
    run('node', [join(root, 'packages/cli/dist/bin.js'), 'image', 'bootstrap', '--if-missing']);
  step(`building ${LOCAL_POSTGRES_IMAGE} from ${base} (about 30 s)`);
  const dir = mkdtempSync(join(tmpdir(), 'berth-postgres-image-'));
  try {
    cpSync(join(root, 'docker/postgres'), dir, { recursive: true });
    const caDir = '/usr/local/share/ca-certificates';
    const certs = existsSync(caDir) ? readdirSync(caDir).filter((f) => f.endsWith('.crt')) : [];
    certs.forEach((f, i) => {
      cpSync(join(caDir, f), join(dir, `berth-ca-${i}.crt`));
    });
    const proxyArgs = Object.entries(process.env)
      .filter(([k, v]) => v && /^(HTTP|HTTPS|NO|ALL)_PROXY$/i.test(k))
      .flatMap(([k, v]) => ['--build-arg', `${k}=${v}`]);
    run('docker', [
      'build',
      '-q',
      '-t',
      LOCAL_POSTGRES_IMAGE,
      '--build-arg',
      `BASE=${base}`,
      ...proxyArgs,
      dir,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Compose, v1 (Debian's docker-compose) or v2 (the docker CLI plugin, e.g. on GitHub's runners):
// `config` checks compose.yaml and the bring-up test drives the stack with it. Without either the
// compose tests skip and say why.
function ensureDockerCompose() {
  if (has('docker-compose') || quiet('docker', ['compose', 'version'])) return;
  if (!isRoot || !isDebian) {
    step(
      'no docker-compose: the compose tests (test/compose.test.ts) skip without it.\n' +
        "  -> install it (`sudo apt-get install docker-compose`, or Docker's compose plugin), or run this as root on Debian.",
    );
    return;
  }
  step("installing Debian's docker-compose for the compose tests");
  aptInstall(['docker-compose']);
}

// --- Node 22 and 24 for the Node versions test (packages/cli/test/node-versions.test.ts) -------

// The official Linux builds as the npm registry publishes them (node-linux-<arch>: package/bin/node
// and the headers, no npm), each pinned to its `dist.integrity` (`npm view PKG@V dist.integrity`).
const OTHER_NODES = {
  '22.23.5': {
    x64: 'sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==',
    arm64: 'sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg==',
  },
  '24.22.3': {
    x64: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
    arm64: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==',
  },
};

// Each Node but the one running this, fetched once into node_modules/.cache/berth/node-VERSION/
// (bin/node, include/node) with `npm pack` and checked against its pin, and better-sqlite3 built
// for its ABI beside it (better-sqlite3-VERSION/, a copy of the installed package: node_modules
// stays as it is). The build is what costs: about 100 s per Node on two cores, once per Node and
// better-sqlite3 version. node-versions.json there says what the test finds.
function ensureOtherNodes() {
  const cache = join(root, 'node_modules/.cache/berth');
  const manifestFile = join(cache, 'node-versions.json');
  mkdirSync(cache, { recursive: true });
  const writeManifest = (m) => writeFileSync(manifestFile, `${JSON.stringify(m, null, 2)}\n`);
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    const why = `no Node builds are pinned for ${process.platform}-${process.arch}`;
    step(`${why}: the Node versions test skips`);
    return writeManifest({ skipped: why, nodes: [] });
  }
  const sqlitePackage = join(root, 'node_modules/better-sqlite3');
  const sqliteVersion = JSON.parse(readFileSync(join(sqlitePackage, 'package.json'), 'utf8')).version;
  const sh = (script) => execFileSync('sh', ['-c', script], { encoding: 'utf8' }).trim();
  const nodes = [];
  for (const [version, pins] of Object.entries(OTHER_NODES)) {
    if (version.split('.')[0] === process.versions.node.split('.')[0]) continue; // the tests' own
    const dir = join(cache, `node-${version}`);
    const node = join(dir, 'bin/node');
    const integrity = pins[process.arch];
    const stamp = join(dir, '.integrity');
    if (!existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== integrity) {
      const started = Date.now();
      const spec = `node-linux-${process.arch}@${version}`;
      const tmp = mkdtempSync(join(cache, `.node-${version}-`));
      try {
        run('npm', ['pack', spec, '--pack-destination', tmp, '--silent'], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        const tgz = join(tmp, `node-linux-${process.arch}-${version}.tgz`);
        const hex = sh(`sha512sum "${tgz}"`).split(' ')[0];
        const got = `sha512-${Buffer.from(hex, 'hex').toString('base64')}`;
        if (got !== integrity)
          fail(`${spec} is not the pinned build: its integrity is ${got}, not ${integrity}`);
        const out = join(tmp, 'node');
        mkdirSync(out);
        execFileSync('tar', [
          '-xzf',
          tgz,
          '-C',
          out,
          '--strip-components=1',
          'package/bin/node',
          'package/include/node',
        ]);
        writeFileSync(join(out, '.integrity'), `${integrity}\n`);
        rmSync(dir, { recursive: true, force: true });
        if (!quiet('mv', ['-T', out, dir]) && !existsSync(stamp))
          fail(`could not move Node ${version} into ${dir}`);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      step(
        `fetched Node ${version} (${spec}, integrity checked) in ${Math.round((Date.now() - started) / 1000)} s`,
      );
    }
    const sqliteDir = join(dir, `better-sqlite3-${sqliteVersion}`);
    const binding = join(sqliteDir, 'build/Release/better_sqlite3.node');
    // Why a build does not open a database under this Node ('' when it does).
    const whyNot = (file) => {
      const r = spawnSync(
        node,
        [
          '-e',
          `const D = require(${JSON.stringify(sqlitePackage)}); new D(':memory:', { nativeBinding: ${JSON.stringify(file)} }).prepare('select 1').get()`,
        ],
        { encoding: 'utf8' },
      );
      if (r.status === 0) return '';
      const said = (r.stderr ?? '').split('\n').filter((l) => /Error|NODE_MODULE_VERSION/.test(l));
      return said.join(' ').trim() || `exit ${r.status ?? r.signal}`;
    };
    if (!existsSync(binding) || whyNot(binding)) {
      const npmCli = sh('readlink -f "$(command -v npm)"');
      const nodeGyp = join(dirname(dirname(npmCli)), 'node_modules/node-gyp/bin/node-gyp.js');
      if (!existsSync(nodeGyp))
        fail(`building better-sqlite3 for Node ${version} needs npm's node-gyp at ${nodeGyp}`);
      step(`building better-sqlite3 ${sqliteVersion} for Node ${version} (once; about 100 s on two cores)`);
      const started = Date.now();
      const tmp = mkdtempSync(join(dir, '.better-sqlite3-'));
      let problem = null;
      try {
        const builtFor20 = join(sqlitePackage, 'build');
        cpSync(sqlitePackage, tmp, {
          recursive: true,
          filter: (src) => src !== builtFor20 && !src.startsWith(`${builtFor20}/`),
        });
        const log = join(tmp, 'build.log');
        // node-gyp lets npm_config_* in the environment override its flags, and `npm test` exports
        // the user's npm config (a `nodedir` in ~/.npmrc, say): the headers are named both ways.
        const env = Object.fromEntries(
          Object.entries(process.env).filter(([k]) => !/^npm_config_nodedir$/i.test(k)),
        );
        const r = spawnSync(
          process.execPath,
          [nodeGyp, 'rebuild', '--release', `--nodedir=${dir}`, '-j', '2'],
          {
            cwd: tmp,
            env: { ...env, npm_config_nodedir: dir },
            stdio: ['ignore', openSync(log, 'w'), openSync(log, 'a')],
          },
        );
        const built = join(tmp, 'build/Release/better_sqlite3.node');
        if (r.status !== 0) {
          process.stderr.write(readFileSync(log, 'utf8').split('\n').slice(-30).join('\n'));
          problem = [
            `building better-sqlite3 for Node ${version} failed`,
            'it needs python3, make and a C++ compiler',
          ];
        } else if (whyNot(built)) {
          problem = [
            `better-sqlite3 built for Node ${version} does not open a database under it: ${whyNot(built)}`,
          ];
        } else {
          rmSync(sqliteDir, { recursive: true, force: true });
          if (!quiet('mv', ['-T', tmp, sqliteDir]) && !existsSync(binding))
            problem = [`could not move better-sqlite3 into ${sqliteDir}`];
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
      if (problem) fail(...problem);
      step(`built better-sqlite3 for Node ${version} in ${Math.round((Date.now() - started) / 1000)} s`);
    }
    nodes.push({ version, node, sqliteBinding: binding });
  }
  writeManifest({ nodes });
}

// --- PostgreSQL for the tests ---------------------------------------------------------------

const TEST_DATABASE_HOW =
  'set BERTH_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE (a role that may CREATE ' +
  'DATABASE: each test makes its own and drops it), or run this as root on Debian, where it installs ' +
  'and starts PostgreSQL itself. Until then the PostgreSQL store tests fail.';

/** Null when the URL answers a query, else why not. Uses the project's own pg client. */
async function databaseError(url) {
  const { Client } = createRequire(join(root, 'packages/core/package.json'))('pg');
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `pg_lsclusters`, parsed: [{ version, name, port, online }]. */
function postgresClusters() {
  if (!has('pg_lsclusters')) return [];
  const out = spawnSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' }).stdout ?? '';
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((cols) => cols.length >= 4)
    .map(([version, name, port, status]) => ({
      version,
      name,
      port: Number(port),
      online: String(status).startsWith('online'),
    }));
}

const newestFirst = (a, b) => Number(b.version) - Number(a.version);

/** The local cluster the tests use, installed, created and started as needed (root on Debian). */
function ensureLocalCluster() {
  // The client packages use /usr/lib/postgresql/<version> too: look for the server itself.
  const serverVersions = () =>
    (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [])
      .filter((v) => existsSync(`/usr/lib/postgresql/${v}/bin/postgres`))
      .sort((a, b) => Number(b) - Number(a));
  if (serverVersions().length === 0) {
    step("installing Debian's postgresql (about 30 s)");
    aptInstall(['postgresql']);
  }
  let clusters = postgresClusters().sort(newestFirst);
  if (clusters.length === 0) {
    const version = serverVersions()[0];
    if (!version) fail('apt installed postgresql but no server binary is under /usr/lib/postgresql.');
    step(`creating PostgreSQL ${version} cluster main`);
    run('pg_createcluster', [version, 'main']);
    clusters = postgresClusters();
  }
  const cluster = clusters.find((c) => c.online) ?? clusters[0];
  if (!cluster) fail('pg_lsclusters lists no PostgreSQL cluster after creating one.');
  if (!cluster.online) {
    step(`starting PostgreSQL ${cluster.version}/${cluster.name} on port ${cluster.port}`);
    run('pg_ctlcluster', [cluster.version, cluster.name, 'start']);
  }
  const deadline = Date.now() + 30_000;
  while (!quiet('pg_isready', ['-q', '-p', String(cluster.port)])) {
    if (Date.now() > deadline) {
      fail(
        `PostgreSQL ${cluster.version}/${cluster.name} did not answer within 30 s.`,
        `read /var/log/postgresql/postgresql-${cluster.version}-${cluster.name}.log for the reason.`,
      );
    }
    spawnSync('sleep', ['0.3']);
  }
  return cluster;
}

/** A role that may create databases, and its own database to connect to; a new password each run. */
function ensureTestRole(port) {
  const password = randomBytes(18).toString('hex');
  const psql = (sql) => {
    const r = spawnSync(
      'runuser',
      ['-u', 'postgres', '--', 'psql', '-p', String(port), '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'],
      { input: sql, encoding: 'utf8', cwd: '/' },
    );
    if (r.status !== 0) fail(`psql as postgres failed: ${r.stderr.trim()}`);
    return r.stdout.trim();
  };
  psql(`DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${TEST_ROLE}') THEN CREATE ROLE ${TEST_ROLE}; END IF;
END $$;
ALTER ROLE ${TEST_ROLE} LOGIN CREATEDB PASSWORD '${password}';
GRANT pg_signal_backend TO ${TEST_ROLE};`);
  if (psql(`SELECT 1 FROM pg_database WHERE datname = '${TEST_ROLE}'`) !== '1') {
    psql(`CREATE DATABASE ${TEST_ROLE} OWNER ${TEST_ROLE}`);
  }
  return `postgres://${TEST_ROLE}:${password}@127.0.0.1:${port}/${TEST_ROLE}`;
}

/**
 * Drops the per-test databases (`berth_t_<unix seconds>_<random>`) that a killed run left behind:
 * only those over an hour old, so a test run going on beside this one keeps its own.
 */
async function dropStaleTestDatabases(url) {
  const { Client } = createRequire(join(root, 'packages/core/package.json'))('pg');
  const client = new Client({ connectionString: url });
  try {
    await client.connect();
    const { rows } = await client.query(
      "SELECT datname FROM pg_database WHERE datname ~ '^berth_t_[0-9]+_' AND pg_has_role(datdba, 'USAGE')",
    );
    const hourAgo = Date.now() / 1000 - 3600;
    for (const { datname } of rows) {
      if (Number(datname.split('_')[2]) < hourAgo)
        await client.query(`DROP DATABASE "${datname}"`).catch(() => undefined);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

function readTestDatabaseUrl() {
  try {
    return readFileSync(TEST_DATABASE_URL_FILE, 'utf8').trim();
  } catch {
    return '';
  }
}

async function ensureTestDatabase() {
  const given = process.env.BERTH_TEST_DATABASE_URL;
  const noDatabase = (why) => {
    try {
      rmSync(TEST_DATABASE_URL_FILE, { force: true });
    } catch {}
    step(`no PostgreSQL for the tests: ${why}.\n  -> ${TEST_DATABASE_HOW}`);
  };
  let url;
  if (given) {
    const why = await databaseError(given);
    if (why) return noDatabase(`BERTH_TEST_DATABASE_URL does not answer (${why})`);
    url = given;
  } else if (!isRoot || !isDebian) {
    const previous = readTestDatabaseUrl();
    if (!previous || (await databaseError(previous)))
      return noDatabase('setup installs and starts one only as root on Debian');
    url = previous;
  } else {
    const { port } = ensureLocalCluster();
    // Keep the role's password while it works: a test run going on beside this one still uses it.
    const previous = readTestDatabaseUrl();
    url =
      previous.includes(`@127.0.0.1:${port}/`) && !(await databaseError(previous))
        ? previous
        : ensureTestRole(port);
    const why = await databaseError(url);
    if (why) {
      fail(
        `the test role cannot log in to the local PostgreSQL: ${why}`,
        'check that its pg_hba.conf allows password logins from 127.0.0.1.',
      );
    }
  }
  await dropStaleTestDatabases(url);
  mkdirSync(dirname(TEST_DATABASE_URL_FILE), { recursive: true });
  writeFileSync(TEST_DATABASE_URL_FILE, `${url}\n`, { mode: 0o600 });
  step(`PostgreSQL for the tests answers (${url.replace(/:[^:@/]*@/, ':***@')})`);
}

/**
 * Puts `berth` on PATH: a link in npm's global bin directory to this checkout's CLI, as `npm link`
 * makes, so it runs from any directory (`berth dispatch` works on the one you are in). A link that
 * another berth checkout's setup made is pointed here; anything else named berth is left alone.
 */
function linkCli() {
  if (process.argv.includes('--no-link')) return;
  const target = join(root, 'packages/cli/bin/berth.js');
  const prefix = spawnSync('npm', ['prefix', '-g'], { encoding: 'utf8' }).stdout?.trim();
  if (!prefix) return step('berth is not linked onto your PATH (`npm prefix -g` said nothing)');
  const binDir = join(prefix, 'bin');
  const link = join(binDir, 'berth');
  const manual = `run it as \`node ${target}\`, or link it yourself: \`ln -s ${target} ~/.local/bin/berth\``;
  let existing = null;
  try {
    existing = lstatSync(link);
  } catch {}
  if (existing) {
    const to = existing.isSymbolicLink() ? readlinkSync(link) : '';
    if (to === target) return;
    if (!to.endsWith('/packages/cli/bin/berth.js')) {
      return step(`${link} is not a berth that setup linked: left as it is; ${manual}`);
    }
    rmSync(link);
  }
  try {
    mkdirSync(binDir, { recursive: true });
    symlinkSync(target, link);
  } catch (err) {
    return step(`could not link berth into ${binDir} (${err.code}); ${manual}`);
  }
  const onPath = (process.env.PATH ?? '').split(':').includes(binDir);
  step(
    `berth is installed: ${link} -> ${target}` +
      (onPath ? '' : `\n  -> add ${binDir} to your PATH to run it as \`berth\``),
  );
}

ensureDependencies();
ensureEngine();
ensureGvisorOnSetupsEngine();
if (forTests || process.argv.includes('--images')) {
  step('building berth');
  run('npm', ['run', '-s', 'build']);
  linkCli();
  ensureBusyboxImage();
  ensureSessionImage();
  if (forTests) {
    ensureNodeImage();
    ensureAgentTestImage();
    ensureAgentTools();
    ensureBerthImage();
  }
}
if (process.argv.includes('--berth-image') && !forTests) ensureBerthImage();
if (forTests) {
  ensureChromium();
  ensureSshd();
  ensureDockerCompose();
  ensureLocalPostgresImage();
  await ensureTestDatabase();
  ensureOtherNodes();
}
step('ready');
