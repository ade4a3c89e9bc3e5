#!/usr/bin/env node
// `npm run bench`: berth against the raw Docker Engine doing the same container work, in one run.
//
// Engine operations go through a daemon this script starts (`berth serve`, its own temp BERTH_HOME)
// over its unix socket, the path a user takes; the raw side does the same container work through
// dockerode with the same image and HostConfig. Berth and raw iterations alternate (and swap
// order every iteration) so drift hits both alike. The working-copy rows time GitWorkspaces.create
// alone against `git worktree add` on the same repository. list_sessions loads the daemon's
// `GET /api/v1/sessions` (100 real sessions in its store) from a few keep-alive clients for a fixed
// time, against a bare node:http server on a unix socket sending the same JSON. event_latency times
// a `docker kill` until the events WebSocket says the session stopped, against the same kill until
// the engine's own events stream says `die`. dashboard_first_load opens the web dashboard (signed in,
// the list_sessions sessions in the store) in headless Chromium with a fresh context each time, from
// navigation start until the session list shows every row, against a static page with the same rows
// from a bare node:http server on loopback; it also reports the dashboard's gzipped JS size.
// create_remote makes sessions from a file:// remote whose cache is warm, against the same `git fetch`
// into a bare clone plus the create row's raw work. create_agent makes stand-in agent sessions
// (berth-test/agent:1) until their tmux session is up, against a volume and the same image running
// the agent in tmux, raw. dispatch_claude dispatches the real Claude Code (berth's agents volume,
// seeded) on a prompt until a scripted Messages API on the session network's gateway gets the
// prompt, against a container of the same image and volume running `claude -p PROMPT` until the
// same request. model_turn_broker runs, inside an agent session, streamed Messages API turns through
// berth's key broker (the session's placeholder in, the real key put in upstream) against the same
// turns straight to the scripted API. egress_request GETs the npm registry's ping from a container
// on a session network of berth's egress gateway (relay, then the daemon-side proxy on the allow-list)
// against the same GETs from a container on the plain session network. preview_http GETs a small page from a preview
// (busybox httpd in a session) through berth's host-port forwarder and through the berth server's
// preview proxy (cookie from a ticket), each against the same GET straight to the container's IP.
//
//   node scripts/bench.mjs [--json] [--quick] [--iterations N] [--warmup N] [--big-iterations N] [--only ROWS]
//
// stdout: a table (or, with --json, exactly one JSON line); progress goes to stderr.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { Agent, createServer as createHttpServer, request as httpRequest } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BerthClient } from '@berth/api';
import { GitWorkspaces } from '@berth/core';
import Docker from 'dockerode';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'packages/cli/bin/berth.js');

const IMAGE = 'berth-test/busybox:1';
const NETWORK = 'berth-sessions';
const MEMORY = 2 * 1024 ** 3;
/** berth's uid:gid for sessions when the repository is owned by root (BERTH_SESSION_UID/GID defaults). */
const FALLBACK_ID = 1000;
const RAW_LABEL = 'dev.berth.bench';
const RAW_RUN_LABEL = 'dev.berth.bench.run';
/** list_sessions: sessions in the store (fewer with --quick), clients, and seconds of load a side. */
const LIST_SESSIONS = 100;
const LIST_SESSIONS_QUICK = 20;
const LIST_CLIENTS = 4;
const LIST_SECONDS = 5;
/** Small, so a hundred sleeping containers cost the machine little. */
const LIST_SESSION_MEMORY = 32 * 1024 ** 2;
/** dashboard_first_load: Debian's Chromium, loads a side after warm-up, and the rows it waits for. */
const CHROMIUM = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const FIRST_LOADS = 10;
const FIRST_LOAD_WARMUP = 2;
const SESSION_ROWS = '.session-card, .session-table tbody tr';
const WEB_DIST = join(root, 'packages/web/dist');
/** preview_http: rounds (fewer with --quick), GETs a side per round, and busybox's httpd as the dev server. */
const PREVIEW_ROUNDS = 20;
const PREVIEW_ROUNDS_QUICK = 6;
const PREVIEW_WARMUP_ROUNDS = 2;
const PREVIEW_BATCH = 25;
const PREVIEW_PORT = 8080;
const PREVIEW_COMMAND = ['httpd', '-f', '-p', String(PREVIEW_PORT), '-h', '/workspace'];
/** create_remote: a clone and a container a side per iteration, so fewer than the engine rows. */
const REMOTE_ITERATIONS = 8;
const REMOTE_ITERATIONS_QUICK = 4;
/** create_agent: the stand-in agent (docker/test-agent) as a profile in the daemon's config file. */
const AGENT_IMAGE = 'berth-test/agent:1';
const AGENT_PROFILE_NAME = 'stand-in';
const AGENT_PROFILE = { command: ['berth-stand-in-agent'], image: AGENT_IMAGE };
const AGENT_ITERATIONS = 8;
const AGENT_ITERATIONS_QUICK = 3;

// ---------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const opts = { json: false, quick: false, iterations: 15, warmup: 2, bigIterations: 3, bigWarmup: 1 };
  const num = (flag, value, min) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) usage(`${flag} needs a whole number >= ${min}, not ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => inline ?? argv[++i];
    if (flag === '--json') opts.json = true;
    else if (flag === '--quick') opts.quick = true;
    else if (flag === '--iterations') opts.iterations = num(flag, value(), 1);
    else if (flag === '--warmup') opts.warmup = num(flag, value(), 0);
    else if (flag === '--big-iterations') opts.bigIterations = num(flag, value(), 1);
    else if (flag === '--only') opts.only = new Set(String(value()).split(',').filter(Boolean));
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${argv[i]}`);
  }
  return opts;
}

function usage(problem) {
  const text =
    'usage: node scripts/bench.mjs [--json] [--quick] [--iterations N] [--warmup N] [--big-iterations N]\n' +
    '  --json             one JSON line on stdout instead of the table\n' +
    '  --quick            skip worktree_20k (a 20,000-file checkout takes about 15 s on a slow disk) and\n' +
    `                     run list_sessions with ${LIST_SESSIONS_QUICK} sessions, not ${LIST_SESSIONS} (making them takes about a minute),\n` +
    `                     create_remote ${REMOTE_ITERATIONS_QUICK} iterations, not ${REMOTE_ITERATIONS}, create_agent ${AGENT_ITERATIONS_QUICK}, not ${AGENT_ITERATIONS},\n` +
    `                     preview_http ${PREVIEW_ROUNDS_QUICK} rounds, not ${PREVIEW_ROUNDS}\n` +
    '  --iterations N     measured iterations per operation (default 15)\n' +
    '  --warmup N         warm-up iterations, left out of the statistics (default 2)\n' +
    '  --big-iterations N measured iterations for worktree_20k (default 3, after 1 warm-up)\n' +
    '  --only A,B         only these rows (the names in the table), e.g. --only dispatch_claude\n';
  process.stderr.write(problem ? `bench: ${problem}\n${text}` : text);
  process.exit(problem ? 2 : 0);
}

const opts = parseArgs(process.argv.slice(2));
/** Whether any of these rows is to run (all, without --only). */
const want = (...names) => !opts.only || names.some((n) => opts.only.has(n));
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Helpers

/** git with no inherited GIT_* variable, a fixed identity and no system config. */
function gitEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GIT_')) env[k] = v;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_TERMINAL_PROMPT: '0',
    GIT_AUTHOR_NAME: 'berth bench',
    GIT_AUTHOR_EMAIL: 'bench@berth.invalid',
    GIT_COMMITTER_NAME: 'berth bench',
    GIT_COMMITTER_EMAIL: 'bench@berth.invalid',
    LC_ALL: 'C',
  };
}

function git(cwd, args) {
  return new Promise((resolve, reject) => {
    execFile('git', args, { cwd, env: gitEnv(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err)
        reject(new Error(`git ${args.join(' ')} failed in ${cwd}: ${String(stderr).trim() || err.message}`));
      else resolve(String(stdout));
    });
  });
}

async function timed(fn, before) {
  if (before) await before();
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile. */
function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

const round1 = (n) => Math.round(n * 10) / 10;
const round2 = (n) => Math.round(n * 100) / 100;

/** A repository with `count` small files spread over directories of 100, one commit on main. */
async function makeRepo(dir, count) {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  const files = [];
  for (let i = 0; i < count; i++) {
    files.push({ dir: join(dir, 'src', `d${String(Math.floor(i / 100)).padStart(3, '0')}`), i });
  }
  const dirs = [...new Set(files.map((f) => f.dir))];
  for (const d of dirs) await mkdir(d, { recursive: true });
  for (let at = 0; at < files.length; at += 256) {
    await Promise.all(
      files
        .slice(at, at + 256)
        .map((f) =>
          writeFile(
            join(f.dir, `file${f.i}.txt`),
            `file ${f.i}\n${'lorem ipsum dolor sit amet\n'.repeat(4)}`,
          ),
        ),
    );
  }
  await writeFile(join(dir, 'README.md'), `# bench repo, ${count} files\n`);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', `bench: ${count} files`]);
  return dir;
}

/** Flushes dirty pages so one timed step does not pay for the previous step's writes. */
function syncDisks() {
  return new Promise((resolve) => execFile('sync', [], () => resolve()));
}

function waitExit(child, ms) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

// ---------------------------------------------------------------------------------------------
// State shared with cleanup

const docker = new Docker();
const runId = randomUUID().slice(0, 8);
let tmpRoot = null;
let home = null;
let daemon = null;
let daemonLog = null;
let rawServer = null;
let browser = null;
let staticServer = null;
let cleaning = null;
let interrupted = null;

/** Stops the daemon, removes every container and directory this run made. Safe to call twice. */
function cleanup() {
  cleaning ??= doCleanup();
  return cleaning;
}

async function doCleanup() {
  await browser?.close().catch(() => undefined);
  staticServer?.close();
  staticServer?.closeAllConnections?.();
  if (rawServer && rawServer.exitCode === null && rawServer.signalCode === null) {
    rawServer.kill('SIGKILL');
    await waitExit(rawServer, 3_000);
  }
  if (daemon && daemon.exitCode === null && daemon.signalCode === null) {
    log(`stopping the daemon (pid ${daemon.pid})`);
    try {
      process.kill(daemon.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    if (!(await waitExit(daemon, 12_000))) {
      try {
        process.kill(daemon.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      await waitExit(daemon, 3_000);
    }
  }
  reportDaemonWarnings();
  const filters = [];
  if (home) filters.push([`dev.berth.home=${home}`]);
  filters.push([`${RAW_LABEL}=raw`, `${RAW_RUN_LABEL}=${runId}`]);
  for (const label of filters) {
    try {
      const list = await docker.listContainers({ all: true, filters: { label } });
      await Promise.all(
        list.map((c) =>
          docker
            .getContainer(c.Id)
            .remove({ force: true, v: true })
            .catch((err) => log(`could not remove container ${c.Id.slice(0, 12)}: ${err.message}`)),
        ),
      );
      if (list.length > 0) log(`removed ${list.length} leftover container(s) labelled ${label.join(', ')}`);
    } catch (err) {
      log(`could not list containers labelled ${label.join(', ')}: ${err.message}`);
    }
  }
  // Volumes after containers (one in use cannot go): agent sessions' HOME volumes and the raw side's.
  const volumeFilters = [];
  if (home) volumeFilters.push([`dev.berth.home=${home}`]);
  volumeFilters.push([`${RAW_LABEL}=raw`, `${RAW_RUN_LABEL}=${runId}`]);
  for (const label of volumeFilters) {
    try {
      const { Volumes: list = [] } = await docker.listVolumes({ filters: { label } });
      await Promise.all(
        list.map((v) =>
          docker
            .getVolume(v.Name)
            .remove({ force: true })
            .catch((err) => log(`could not remove volume ${v.Name}: ${err.message}`)),
        ),
      );
      if (list.length > 0) log(`removed ${list.length} leftover volume(s) labelled ${label.join(', ')}`);
    } catch (err) {
      log(`could not list volumes labelled ${label.join(', ')}: ${err.message}`);
    }
  }
  // Networks after containers: filtered sessions' and berth's egress network, and the raw side's.
  for (const label of volumeFilters) {
    try {
      const list = await docker.listNetworks({ filters: { label } });
      await Promise.all(
        list.map((n) =>
          docker
            .getNetwork(n.Id)
            .remove()
            .catch((err) => log(`could not remove network ${n.Name}: ${err.message}`)),
        ),
      );
      if (list.length > 0) log(`removed ${list.length} leftover network(s) labelled ${label.join(', ')}`);
    } catch (err) {
      log(`could not list networks labelled ${label.join(', ')}: ${err.message}`);
    }
  }
  // Agent credentials live on a tmpfs outside BERTH_HOME (agent-credentials.ts defaultCredentialsRoot).
  if (home) {
    const tag = createHash('sha256').update(home).digest('hex').slice(0, 12);
    for (const base of ['/dev/shm', process.env.XDG_RUNTIME_DIR]) {
      if (base) await rm(join(base, `berth-${tag}`), { recursive: true, force: true }).catch(() => undefined);
    }
  }
  if (tmpRoot) {
    await rm(tmpRoot, { recursive: true, force: true }).catch((err) =>
      log(`could not remove ${tmpRoot}: ${err.message}`),
    );
  }
}

/** Between steps: stop when a signal asked to. */
function checkInterrupted() {
  if (interrupted) throw new Error(`interrupted by ${interrupted}`);
}

// First signal: finish the step in flight, then clean up. Second: clean up now.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (!interrupted) {
      interrupted = signal;
      log(`${signal}: stopping after the step in flight, then cleaning up (again to stop at once)`);
      return;
    }
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// The daemon

async function startDaemon(tcpPort) {
  const env = { ...process.env };
  for (const k of [
    'BERTH_PORT',
    'BERTH_HOST',
    'BERTH_NETWORK',
    'BERTH_SESSION_UID',
    'BERTH_SESSION_GID',
    'BERTH_CONFIG',
  ]) {
    delete env[k];
  }
  Object.assign(env, {
    BERTH_HOME: home,
    BERTH_IMAGE: IMAGE,
    BERTH_MAX_RUNNING: '1000',
    BERTH_LOG_LEVEL: 'warn',
    // TCP on loopback too, for the dashboard in Chromium and the preview proxy; the other rows use the unix socket.
    BERTH_PORT: String(tcpPort),
  });
  await mkdir(home, { recursive: true, mode: 0o700 });
  // Agent profiles: the stand-in agent only (create_agent).
  await writeFile(
    join(home, 'config.json'),
    JSON.stringify({ agents: { [AGENT_PROFILE_NAME]: AGENT_PROFILE } }),
  );
  daemonLog = join(tmpRoot, 'daemon.log');
  const fd = openSync(daemonLog, 'a');
  try {
    daemon = spawn(process.execPath, [cli, 'serve', '--log-level', 'warn'], {
      cwd: root,
      env,
      stdio: ['ignore', fd, fd],
      // Its own process group: a Ctrl-C in the terminal reaches the bench, which stops it by pid.
      detached: true,
    });
  } finally {
    closeSync(fd);
  }
  const client = new BerthClient({ socketPath: join(home, 'berth.sock') });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (daemon.exitCode !== null || daemon.signalCode !== null) break;
    const ok = await client.health().then(
      (h) => h.status === 'ok',
      () => false,
    );
    if (ok) return client;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the daemon did not come up:\n${daemonLogTail()}`);
}

/** The daemon logs at warn level: anything it logged is worth a look. */
function reportDaemonWarnings() {
  if (!daemonLog || !existsSync(daemonLog)) return;
  const lines = readFileSync(daemonLog, 'utf8').trim().split('\n').filter(Boolean);
  if (lines.length === 0) return;
  const msgs = lines.map((l) => {
    try {
      const j = JSON.parse(l);
      return `${j.msg}${j.err?.message ? `: ${j.err.message}` : ''}`;
    } catch {
      return l;
    }
  });
  log(
    `the daemon logged ${lines.length} line(s) at warn or above, e.g.:\n  ${msgs.slice(0, 3).join('\n  ')}`,
  );
}

function daemonLogTail() {
  try {
    return readFileSync(daemonLog, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no daemon log)';
  }
}

// ---------------------------------------------------------------------------------------------
// The raw engine: the same container work berth does, through dockerode

async function ensureNetwork() {
  const existing = await docker.listNetworks({ filters: { name: [NETWORK] } });
  if (existing.some((n) => n.Name === NETWORK)) return;
  // The same network berth makes (berth never removes it; neither does the bench).
  await docker
    .createNetwork({
      Name: NETWORK,
      Driver: 'bridge',
      CheckDuplicate: true,
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      Labels: { 'dev.berth.managed': 'true' },
    })
    .catch(async (err) => {
      const again = await docker.listNetworks({ filters: { name: [NETWORK] } });
      if (!again.some((n) => n.Name === NETWORK)) throw err;
    });
}

let rawRelay = null;

/**
 * The raw side of a filtered session's network (berth's default): an internal network of its
 * own, on a /28 berth does not use, with no host address on its bridge, and a long-lived stand-in
 * for berth's relay joined to it at a fixed address, as berth's gateway does.
 */
async function rawSessionNetwork(i) {
  if (!rawRelay) {
    rawRelay = await docker.createContainer({
      name: `berth-bench-raw-relay-${runId}`,
      Image: IMAGE,
      Cmd: ['sleep', 'infinity'],
      Labels: { [RAW_LABEL]: 'raw', [RAW_RUN_LABEL]: runId },
      HostConfig: { NetworkMode: 'none', CapDrop: ['ALL'] },
    });
    await rawRelay.start();
  }
  const name = `berth-bench-raw-net-${runId}-${i}`;
  const base = `10.214.${Math.floor(i / 16) % 256}.${(i % 16) * 16}`;
  const at = (n) => base.replace(/\.(\d+)$/, (_m, last) => `.${Number(last) + n}`);
  await docker.createNetwork({
    Name: name,
    Driver: 'bridge',
    Internal: true,
    CheckDuplicate: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: `${base}/28`, Gateway: at(1) }] },
    Options: {
      'com.docker.network.bridge.inhibit_ipv4': 'true',
      'com.docker.network.bridge.enable_icc': 'true',
    },
    Labels: { [RAW_LABEL]: 'raw', [RAW_RUN_LABEL]: runId },
  });
  await docker.getNetwork(name).connect({
    Container: rawRelay.id,
    EndpointConfig: { IPAMConfig: { IPv4Address: at(2) } },
  });
  return name;
}

async function removeRawSessionNetwork(name) {
  await docker.getNetwork(name).disconnect({ Container: rawRelay.id, Force: true });
  await docker.getNetwork(name).remove();
}

function rawContainerSpec(name, bindDir, user, network = NETWORK) {
  return {
    name,
    Image: IMAGE,
    Cmd: ['sleep', 'infinity'],
    User: user,
    Env: ['HOME=/home/berth'],
    WorkingDir: '/workspace',
    Labels: { [RAW_LABEL]: 'raw', [RAW_RUN_LABEL]: runId },
    Tty: false,
    OpenStdin: false,
    HostConfig: {
      Binds: [`${bindDir}:/workspace:rw`],
      CapDrop: ['ALL'],
      SecurityOpt: ['no-new-privileges'],
      Privileged: false,
      Init: true,
      PidsLimit: 512,
      Memory: MEMORY,
      MemorySwap: MEMORY,
      NanoCpus: 1e9,
      Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 8192 }],
      NetworkMode: network,
      RestartPolicy: { Name: 'no' },
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}

async function rawExecTrue(container, user) {
  await rawExecOk(container, user, ['true']);
}

// ---------------------------------------------------------------------------------------------
// Measurements

const OPERATIONS = [
  {
    name: 'create',
    what:
      'berth create to running (working copy included, on a filtered network of its own) vs network create' +
      ' + relay connect + createContainer + start',
  },
  { name: 'pause_resume', what: 'berth pause + resume vs pause + unpause' },
  { name: 'exec', what: 'berth exec `true` vs exec create + start + wait + inspect' },
  {
    name: 'remove',
    what:
      'berth remove --force (container, working copy, branch, its network) vs container.remove + relay' +
      ' disconnect + network remove',
  },
  { name: 'worktree_100', what: 'GitWorkspaces.create vs git worktree add, 100 files' },
  { name: 'worktree_20k', what: 'GitWorkspaces.create vs git worktree add, 20,000 files' },
  {
    name: 'create_remote',
    what:
      'berth create from a file:// remote, its cache warm (fetch + working copy + container) vs the same' +
      ' `git fetch` into a bare clone of that remote + createContainer + start',
  },
  {
    name: 'create_agent',
    what:
      `berth create --agent (the stand-in agent on ${AGENT_IMAGE}) until its tmux session is up vs a HOME volume` +
      ' + createContainer + start of the same image running the agent in tmux + exec polling `tmux has-session`',
  },
  {
    name: 'dispatch_claude',
    what:
      'berth dispatch --agent claude (the real Claude Code from the agents volume, seeded, in tmux) until the' +
      ' scripted API gets its first request with the prompt vs createContainer + start of the same image with' +
      ' the same volume running `claude -p PROMPT`, until the same request',
  },
  {
    name: 'model_turn_broker',
    what:
      "one streamed Messages API turn from inside an agent session through berth's key broker (placeholder in," +
      ' real key put in upstream) vs the same request from the same session straight to the scripted API',
    requests: true,
  },
  {
    name: 'egress_request',
    what:
      "an HTTPS GET from a session through berth's egress path (its own network, the relay, the daemon's proxy" +
      ' deciding on the allow-list, a fresh connection each) vs the same GET from a container straight out',
    requests: true,
  },
  {
    name: 'preview_http_forward',
    what:
      "GET / of a preview (busybox httpd) on berth's host port 127.0.0.1:hostPort (the daemon's HTTP forwarder: berth's cookies out, loopback Host names only)" +
      " vs the same GET straight to the container's IP:port",
    requests: true,
  },
  {
    name: 'preview_http_proxy',
    what:
      'GET / of the same preview through the berth server, `<name>.preview.localhost:<port>` with the cookie a' +
      " ticket gave, vs the same GET straight to the container's IP:port",
    requests: true,
  },
  {
    name: 'list_sessions',
    what:
      "GET /api/v1/sessions, one request's latency under load (see below) vs a bare node:http server" +
      ' on a unix socket serializing the same JSON',
    load: true,
  },
  {
    name: 'dashboard_first_load',
    what:
      'the dashboard in headless Chromium (fresh context: cold cache), navigation start to every session' +
      ' row shown, vs a static page of as many rows from a bare node:http server on loopback',
  },
  {
    name: 'event_latency',
    what: "docker kill -> session.status.changed on the events WebSocket vs -> the engine's own die event",
  },
];

/** What a load row measures besides latency: throughput, and the set-up it ran with. */
const loadStats = {};

const samples = Object.fromEntries(OPERATIONS.map((o) => [o.name, { berth: [], raw: [], paired: [] }]));

/** Runs both sides of one operation, in the given order, and keeps the samples when measured. */
async function pair(op, berthFirst, measured, berthFn, rawFn, before) {
  const sides = berthFirst
    ? [
        ['berth', berthFn],
        ['raw', rawFn],
      ]
    : [
        ['raw', rawFn],
        ['berth', berthFn],
      ];
  const got = {};
  for (const [side, fn] of sides) {
    checkInterrupted();
    got[side] = await timed(fn, before);
    if (measured) samples[op][side].push(got[side]);
  }
  // The two sides of one iteration ran back to back: their ratio shrugs off drift between iterations.
  if (measured) samples[op].paired.push(got.berth / got.raw);
  return got;
}

async function engineOps(client, repo, user) {
  const total = opts.warmup + opts.iterations;
  for (let i = 0; i < total; i++) {
    const measured = i >= opts.warmup;
    const berthFirst = i % 2 === 0;
    const tag = measured ? `${i - opts.warmup + 1}/${opts.iterations}` : `warm-up ${i + 1}/${opts.warmup}`;
    const name = `bench-${i}`;
    const bindDir = join(tmpRoot, 'binds', `raw-${i}`);
    await mkdir(bindDir, { recursive: true });
    let container = null;
    let rawNetwork = null;
    const line = [];
    const note = (op, got) => line.push(`${op} ${got.berth.toFixed(0)}/${got.raw.toFixed(0)}`);

    note(
      'create',
      await pair(
        'create',
        berthFirst,
        measured,
        async () => {
          const s = await client.createSession({ name, repo });
          if (s.status !== 'running') throw new Error(`berth session ${name} is ${s.status}, not running`);
        },
        async () => {
          rawNetwork = await rawSessionNetwork(i);
          container = await docker.createContainer(
            rawContainerSpec(`berth-bench-raw-${runId}-${i}`, bindDir, user, rawNetwork),
          );
          await container.start();
        },
      ),
    );
    note(
      'pause_resume',
      await pair(
        'pause_resume',
        berthFirst,
        measured,
        async () => {
          await client.act(name, 'pause');
          const s = await client.act(name, 'resume');
          if (s.status !== 'running') throw new Error(`berth session ${name} is ${s.status} after resume`);
        },
        async () => {
          await container.pause();
          await container.unpause();
        },
      ),
    );
    note(
      'exec',
      await pair(
        'exec',
        berthFirst,
        measured,
        async () => {
          const r = await client.exec(name, ['true']);
          if (r.exitCode !== 0) throw new Error(`berth exec of true exited ${r.exitCode}`);
        },
        () => rawExecTrue(container, user),
      ),
    );
    note(
      'remove',
      await pair(
        'remove',
        berthFirst,
        measured,
        () => client.remove(name, true),
        async () => {
          await container.remove({ force: true });
          await removeRawSessionNetwork(rawNetwork);
        },
      ),
    );
    await rm(bindDir, { recursive: true, force: true });
    log(`engine ${tag} (${berthFirst ? 'berth' : 'raw'} first), berth/raw ms: ${line.join(', ')}`);
  }
}

async function worktreeOps(op, repo, warmup, iterations) {
  const workspacesDir = join(tmpRoot, 'wt-home', 'workspaces');
  const rawDir = join(tmpRoot, 'worktrees');
  await mkdir(rawDir, { recursive: true });
  const ws = new GitWorkspaces({ workspacesDir });
  // Outside the timed part: what berth's create does before it makes the working copy.
  const info = await ws.inspectRepo(repo);
  const base = await ws.resolveBase(info);
  const uid = info.ownerUid === 0 ? FALLBACK_ID : info.ownerUid;
  const gid = info.ownerUid === 0 ? FALLBACK_ID : info.ownerGid;
  for (let i = 0; i < warmup + iterations; i++) {
    const measured = i >= warmup;
    const sessionId = randomUUID();
    const branch = `berth/${op.replace('_', '-')}-${i}`;
    const path = join(workspacesDir, sessionId);
    const rawPath = join(rawDir, `${op}-${i}`);
    const rawBranch = `bench-raw-${op.replace('_', '-')}-${i}`;
    const got = await pair(
      op,
      i % 2 === 0,
      measured,
      () =>
        ws.create({
          sessionId,
          branch,
          repo: info,
          baseCommit: base.commit,
          path,
          uid,
          gid,
          gitUser: { name: 'berth session', email: `bench-${i}@sessions.berth.invalid` },
        }),
      () => git(repo, ['worktree', 'add', '-q', rawPath, '-b', rawBranch]),
      // Untimed, before each side: nothing left to write back from the step before.
      syncDisks,
    );
    // Outside the timed part: undo both.
    await ws.remove({ repoRoot: info.root, sessionId, branch, path, keepBranch: false });
    await git(repo, ['worktree', 'remove', '--force', rawPath]);
    await git(repo, ['branch', '-q', '-D', rawBranch]);
    const tag = measured ? `${i - warmup + 1}/${iterations}` : `warm-up ${i + 1}/${warmup}`;
    log(`${op} ${tag}: berth ${got.berth.toFixed(0)} ms, git worktree ${got.raw.toFixed(0)} ms`);
  }
}

// ---------------------------------------------------------------------------------------------
// create_remote: a session from a file:// remote whose cache is warm

async function createRemoteOps(client, repo, user) {
  const op = 'create_remote';
  const iterations = opts.quick ? REMOTE_ITERATIONS_QUICK : Math.min(opts.iterations, REMOTE_ITERATIONS);
  // What a hosting service serves, and the raw side's own bare clone of it (berth's cache is its own).
  const remote = join(tmpRoot, 'repos', 'remote.git');
  await git(repo, ['clone', '-q', '--bare', '--no-tags', '--template=', repo, remote]);
  const rawClone = join(tmpRoot, 'repos', 'raw-clone.git');
  await git(tmpRoot, ['clone', '-q', '--bare', '--no-tags', '--template=', remote, rawClone]);
  const url = `file://${remote}`;
  // Untimed: the first session clones the remote into berth's cache; every later one only fetches.
  log(`${op}: warming berth's cache of ${url}`);
  await client.createSession({ name: 'bench-remote-warm', repo: url });
  await client.remove('bench-remote-warm', true);
  for (let i = 0; i < opts.warmup + iterations; i++) {
    checkInterrupted();
    const measured = i >= opts.warmup;
    const name = `bench-remote-${i}`;
    const bindDir = join(tmpRoot, 'binds', `raw-remote-${i}`);
    await mkdir(bindDir, { recursive: true });
    let container = null;
    const got = await pair(
      op,
      i % 2 === 0,
      measured,
      async () => {
        const s = await client.createSession({ name, repo: url });
        if (s.status !== 'running') throw new Error(`berth session ${name} is ${s.status}, not running`);
      },
      async () => {
        // The fetch berth's cache makes (remote-repos.ts), then the create row's raw work.
        await git(rawClone, [
          'fetch',
          '--quiet',
          '--no-tags',
          '--no-recurse-submodules',
          '--no-write-fetch-head',
          '--end-of-options',
          url,
          '+refs/heads/*:refs/heads/*',
        ]);
        await ensureNetwork();
        container = await docker.createContainer(
          rawContainerSpec(`berth-bench-raw-${runId}-remote-${i}`, bindDir, user),
        );
        await container.start();
      },
    );
    // Outside the timed part: undo both.
    await client.remove(name, true);
    await container?.remove({ force: true });
    await rm(bindDir, { recursive: true, force: true });
    const tag = measured ? `${i - opts.warmup + 1}/${iterations}` : `warm-up ${i + 1}/${opts.warmup}`;
    log(`${op} ${tag}: berth ${got.berth.toFixed(0)} ms, fetch + create + start ${got.raw.toFixed(0)} ms`);
  }
}

// ---------------------------------------------------------------------------------------------
// create_agent: a stand-in agent session, to its tmux session up

/** Runs `cmd` in the container through the engine and fails unless it exits 0. */
/** exec create + start + wait + inspect, as the engine's API does it; throws unless it exits 0. */
async function rawExecOk(container, user, cmd, env = []) {
  const exec = await container.exec({
    Cmd: cmd,
    User: user,
    ...(env.length > 0 ? { Env: env } : {}),
    WorkingDir: '/workspace',
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: false,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise((resolve, reject) => {
    stream.on('end', resolve);
    stream.on('close', resolve);
    stream.on('error', reject);
    stream.resume();
  });
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new Error(`raw exec of ${cmd.join(' ')} exited ${info.ExitCode}`);
}

/** The raw side: a HOME volume, the agent image running the agent in tmux, as berth's launcher does. */
function rawAgentSpec(name, bindDir, user, volume) {
  const spec = rawContainerSpec(name, bindDir, user);
  spec.Image = AGENT_IMAGE;
  spec.Cmd = [
    'sh',
    '-c',
    `tmux -u new-session -d -s agent -x 160 -y 48 -c /workspace ${AGENT_PROFILE.command.join(' ')} && exec sleep 2147483647`,
  ];
  spec.Env = ['HOME=/home/berth', 'TMUX_TMPDIR=/tmp', 'TERM=xterm-256color'];
  spec.HostConfig.Binds = [...spec.HostConfig.Binds, `${volume}:/home/berth:rw`];
  return spec;
}

async function createAgentOps(client, repo, user) {
  const op = 'create_agent';
  const iterations = opts.quick ? AGENT_ITERATIONS_QUICK : Math.min(opts.iterations, AGENT_ITERATIONS);
  const hasImage = await docker
    .getImage(AGENT_IMAGE)
    .inspect()
    .then(
      () => true,
      () => false,
    );
  if (!hasImage) {
    skipped[op] = `image ${AGENT_IMAGE} is missing (build it with \`node scripts/setup.mjs --for-tests\`)`;
    return;
  }
  for (let i = 0; i < opts.warmup + iterations; i++) {
    checkInterrupted();
    const measured = i >= opts.warmup;
    const name = `bench-agent-${i}`;
    const bindDir = join(tmpRoot, 'binds', `raw-agent-${i}`);
    await mkdir(bindDir, { recursive: true });
    const volume = `berth-bench-raw-${runId}-agent-${i}`;
    let container = null;
    let volumeMade = false;
    try {
      const got = await pair(
        op,
        i % 2 === 0,
        measured,
        async () => {
          const s = await client.createSession({ name, repo, agent: AGENT_PROFILE_NAME });
          if (s.status !== 'running')
            throw new Error(`berth agent session ${name} is ${s.status}, not running`);
        },
        async () => {
          await docker.createVolume({ Name: volume, Labels: { [RAW_LABEL]: 'raw', [RAW_RUN_LABEL]: runId } });
          volumeMade = true;
          await ensureNetwork();
          container = await docker.createContainer(
            rawAgentSpec(`berth-bench-raw-${runId}-agent-${i}`, bindDir, user, volume),
          );
          await container.start();
          // berth's `launcher.sh ready`: the agent's tmux session is there, asked every 0.1 s.
          await rawExecOk(
            container,
            user,
            ['sh', '-c', 'while ! tmux has-session -t agent 2>/dev/null; do sleep 0.1; done'],
            ['TMUX_TMPDIR=/tmp'],
          );
        },
      );
      const tag = measured ? `${i - opts.warmup + 1}/${iterations}` : `warm-up ${i + 1}/${opts.warmup}`;
      log(
        `${op} ${tag}: berth ${got.berth.toFixed(0)} ms, volume + create + start + tmux up ${got.raw.toFixed(0)} ms`,
      );
    } finally {
      // Outside the timed part: undo both (the session's volume and credentials go with it).
      await client.remove(name, true).catch(() => undefined);
      await container?.remove({ force: true }).catch(() => undefined);
      if (volumeMade)
        await docker
          .getVolume(volume)
          .remove({ force: true })
          .catch(() => undefined);
      await rm(bindDir, { recursive: true, force: true });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// dispatch_claude: a real agent, from dispatch until it works on its prompt (its first model request)

const SESSION_IMAGE = 'berth/session:bookworm';
const DISPATCH_KEY = 'sk-ant-api03-bench-0123456789-abcdefghijKLMNOPQRST';

/** One SSE answer of the Messages API that ends the turn: enough for any request Claude Code makes. */
function anthropicDone(res, model) {
  const events = [
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id: 'msg_bench',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        },
      },
    ],
    [
      'content_block_start',
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ],
    [
      'content_block_delta',
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Done.' } },
    ],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 1 },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  ];
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

/**
 * A scripted Messages API on the session network's gateway (where containers reach the host):
 * every request is answered "Done."; `waitFor(marker)` resolves when a request carrying the
 * marker (the prompt) arrives.
 */
async function scriptedClaudeApi(host) {
  const waiting = new Map();
  const server = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      for (const [marker, resolve] of waiting) {
        if (body.includes(marker)) {
          waiting.delete(marker);
          resolve();
        }
      }
      if (req.method !== 'POST') return res.end();
      let model = 'claude-bench';
      try {
        model = JSON.parse(body).model ?? model;
      } catch {}
      anthropicDone(res, model);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return {
    url: `http://${host}:${server.address().port}`,
    waitFor(marker, ms = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(marker);
          reject(new Error(`no model request with ${marker} within ${ms} ms`));
        }, ms);
        waiting.set(marker, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Whether berth's session image (Node, the agents' CLIs) is there: the agent and egress rows need it. */
function sessionImageExists() {
  return docker
    .getImage(SESSION_IMAGE)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

async function dispatchClaudeOps(client, repo, user) {
  const op = 'dispatch_claude';
  const iterations = opts.quick ? AGENT_ITERATIONS_QUICK : Math.min(opts.iterations, AGENT_ITERATIONS);
  const volumes = await docker.listVolumes({ filters: { label: ['dev.berth.role=agents'] } });
  const tools = (volumes.Volumes ?? []).find((v) => v.Name.startsWith('berth-agents-'));
  const hasImage = await sessionImageExists();
  if (!tools || !hasImage) {
    skipped[op] =
      `${hasImage ? "berth's agents volume" : `image ${SESSION_IMAGE}`} is missing (run \`node scripts/setup.mjs --for-tests\`)`;
    return;
  }
  await ensureNetwork();
  const net = await docker.getNetwork(NETWORK).inspect();
  const gateway = (net.IPAM?.Config ?? []).map((c) => c.Gateway).find(Boolean);
  const api = await scriptedClaudeApi(gateway);
  try {
    // The built-in claude profile, pointed at the scripted API; its key as `berth auth setup` stores it.
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'));
    config.agents.claude = { env: { ANTHROPIC_BASE_URL: api.url } };
    await writeFile(join(home, 'config.json'), JSON.stringify(config));
    await client.putAgentCredentials('claude', { keys: { ANTHROPIC_API_KEY: DISPATCH_KEY } });
    volumeSizes.agents = await volumeBytes(tools.Name);
    for (let i = 0; i < opts.warmup + iterations; i++) {
      checkInterrupted();
      const measured = i >= opts.warmup;
      const name = `bench-claude-${i}`;
      const bindDir = join(tmpRoot, 'binds', `raw-claude-${i}`);
      await mkdir(bindDir, { recursive: true });
      let container = null;
      try {
        const got = await pair(
          op,
          i % 2 === 0,
          measured,
          async () => {
            const marker = `bench task ${runId} ${i} berth`;
            const arrived = api.waitFor(marker);
            await client.createSession({ name, repo, agent: 'claude', prompt: marker, image: SESSION_IMAGE });
            await arrived;
          },
          async () => {
            const marker = `bench task ${runId} ${i} raw`;
            const arrived = api.waitFor(marker);
            const spec = rawContainerSpec(`berth-bench-raw-${runId}-claude-${i}`, bindDir, user);
            spec.Image = SESSION_IMAGE;
            spec.Cmd = ['claude', '-p', marker];
            spec.Env = [
              'HOME=/tmp',
              `PATH=/opt/berth/agents/bin:/usr/local/bin:/usr/bin:/bin`,
              `ANTHROPIC_BASE_URL=${api.url}`,
              `ANTHROPIC_API_KEY=${DISPATCH_KEY}`,
              'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1',
            ];
            spec.HostConfig.Binds = [...spec.HostConfig.Binds, `${tools.Name}:/opt/berth/agents:ro`];
            container = await docker.createContainer(spec);
            await container.start();
            await arrived;
          },
        );
        const tag = measured ? `${i - opts.warmup + 1}/${iterations}` : `warm-up ${i + 1}/${opts.warmup}`;
        log(
          `${op} ${tag}: berth ${got.berth.toFixed(0)} ms, create + start + claude -p ${got.raw.toFixed(0)} ms`,
        );
      } finally {
        await client.remove(name, true).catch(() => undefined);
        await container?.remove({ force: true }).catch(() => undefined);
        await rm(bindDir, { recursive: true, force: true });
      }
    }
  } finally {
    await api.close();
  }
}

// ---------------------------------------------------------------------------------------------
// egress_request: a request out through the egress gateway and proxy, against straight out

/** Run in each container (Node 24 honours HTTPS_PROXY with NODE_USE_ENV_PROXY=1): BATCH GETs. */
const EGRESS_SCRIPT = `
const https = require('https');
const [url, batch] = process.argv.slice(1);
const agent = new https.Agent({ keepAlive: false, proxyEnv: process.env });
function get() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    https.get(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error('status ' + res.statusCode))));
    }).on('error', reject);
  });
}
(async () => {
  const out = [];
  for (let i = 0; i < Number(batch); i++) out.push(await get());
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e.message); process.exit(1); });
`;

/** stdout of a command, or its failure with stderr. */
function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args[0]} failed: ${String(stderr).slice(0, 400) || err.message}`));
      else resolve(String(stdout));
    });
  });
}

async function egressOps() {
  const op = 'egress_request';
  const hasImage = await sessionImageExists();
  if (!hasImage) {
    skipped[op] = `image ${SESSION_IMAGE} is missing (run \`node scripts/setup.mjs --for-tests\`)`;
    return;
  }
  const { EgressGateway } = await import('../packages/core/dist/egress/egress-gateway.js');
  const { EgressProxy } = await import('../packages/core/dist/egress/egress-proxy.js');
  const { parseAllowEntry } = await import('../packages/core/dist/egress/egress-policy.js');
  const registry = new URL((await run('npm', ['config', 'get', 'registry'])).trim());
  const url = `${registry.origin}/-/ping`;
  const egressHome = join(tmpRoot, 'egress-home');
  await mkdir(egressHome, { recursive: true });
  const quiet = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => quiet };
  const policy = { mode: 'allowlist', allow: [parseAllowEntry(registry.hostname)] };
  const proxy = new EgressProxy({ logger: quiet, record: () => {} });
  const gateway = new EgressGateway({
    docker,
    home: egressHome,
    logger: quiet,
    image: SESSION_IMAGE,
    proxy,
    policyOf: async () => policy,
  });
  const ca = '/etc/ssl/certs/ca-certificates.crt';
  const containers = [];
  const sessionId = randomUUID();
  try {
    await gateway.start();
    const net = await gateway.createSessionNetwork(sessionId);
    await ensureNetwork();
    const make = async (network, env) => {
      const c = await docker.createContainer({
        Image: SESSION_IMAGE,
        Cmd: ['sleep', 'infinity'],
        User: '1000:1000',
        Env: [`NODE_EXTRA_CA_CERTS=${ca}`, 'HOME=/tmp', ...env],
        Labels: { [RAW_LABEL]: 'true', [RAW_RUN_LABEL]: runId },
        HostConfig: { NetworkMode: network, Binds: [`${ca}:${ca}:ro`], Memory: LIST_SESSION_MEMORY * 8 },
      });
      containers.push(c);
      await c.start();
      return c;
    };
    const proxyUrl = `http://${net.relay}:3128`;
    const sides = {
      berth: await make(net.name, [
        `HTTPS_PROXY=${proxyUrl}`,
        `https_proxy=${proxyUrl}`,
        'NODE_USE_ENV_PROXY=1',
      ]),
      raw: await make(NETWORK, []),
    };
    const batch = async (c) => {
      return JSON.parse(
        await run('docker', ['exec', c.id, 'node', '-e', EGRESS_SCRIPT, url, String(PREVIEW_BATCH)]),
      );
    };
    const rounds = opts.quick ? PREVIEW_ROUNDS_QUICK : PREVIEW_ROUNDS;
    log(`${op}: ${rounds} rounds of ${PREVIEW_BATCH} GETs of ${url} a side, fresh connections`);
    for (let i = 0; i < PREVIEW_WARMUP_ROUNDS + rounds; i++) {
      checkInterrupted();
      const got = {};
      for (const side of i % 2 === 0 ? ['berth', 'raw'] : ['raw', 'berth'])
        got[side] = await batch(sides[side]);
      if (i < PREVIEW_WARMUP_ROUNDS) continue;
      samples[op].berth.push(...got.berth);
      samples[op].raw.push(...got.raw);
      samples[op].paired.push(median(got.berth) / median(got.raw));
      log(
        `${op} ${i - PREVIEW_WARMUP_ROUNDS + 1}/${rounds}: median ms egress ${median(got.berth).toFixed(1)}, straight ${median(got.raw).toFixed(1)}`,
      );
    }
    loadStats[op] = { rounds, requests_per_round: PREVIEW_BATCH };
  } finally {
    for (const c of containers) await c.remove({ force: true }).catch(() => undefined);
    await gateway.removeSessionNetwork(sessionId).catch(() => undefined);
    await gateway.close();
    await docker
      .getNetwork(gateway.egressNetwork)
      .remove()
      .catch(() => undefined);
    proxy.close();
  }
}

// ---------------------------------------------------------------------------------------------
// model_turn_broker: an agent's model request through the key broker, against straight to the API

/** Run inside the session (its image has Node): ROUNDS rounds of BATCH turns a side, in turn. */
const TURN_SCRIPT = `
const [broker, placeholder, direct, key, rounds, batch] = process.argv.slice(1);
const body = JSON.stringify({ model: 'claude-bench', max_tokens: 16, stream: true,
  messages: [{ role: 'user', content: 'bench' }] });
async function turn(base, k) {
  const t0 = performance.now();
  const r = await fetch(base + '/v1/messages', { method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-api-key': k, 'anthropic-version': '2023-06-01' } });
  const text = await r.text();
  if (r.status !== 200 || !text.includes('message_stop')) throw new Error(base + ' answered ' + r.status + ': ' + text.slice(0, 200));
  return performance.now() - t0;
}
const out = [];
for (let i = 0; i < Number(rounds); i++) {
  const round = { broker: [], raw: [] };
  const order = i % 2 === 0 ? ['broker', 'raw'] : ['raw', 'broker'];
  for (const side of order) for (let n = 0; n < Number(batch); n++)
    round[side].push(side === 'broker' ? await turn(broker, placeholder) : await turn(direct, key));
  out.push(round);
}
console.log(JSON.stringify(out));
`;

async function brokerTurnOps(client, repo) {
  const op = 'model_turn_broker';
  const hasImage = await sessionImageExists();
  if (!hasImage) {
    skipped[op] = `image ${SESSION_IMAGE} is missing (run \`node scripts/setup.mjs --for-tests\`)`;
    return;
  }
  await ensureNetwork();
  const net = await docker.getNetwork(NETWORK).inspect();
  const gateway = (net.IPAM?.Config ?? []).map((c) => c.Gateway).find(Boolean);
  const api = await scriptedClaudeApi(gateway);
  const name = 'bench-broker';
  try {
    const config = JSON.parse(await readFile(join(home, 'config.json'), 'utf8'));
    config.agents.claude = { env: { ANTHROPIC_BASE_URL: api.url } };
    await writeFile(join(home, 'config.json'), JSON.stringify(config));
    await client.putAgentCredentials('claude', { keys: { ANTHROPIC_API_KEY: DISPATCH_KEY } });
    // An agent session of the real profile, idle at its prompt: its key file and base URL are the broker's.
    await client.createSession({ name, repo, agent: 'claude', image: SESSION_IMAGE });
    const read = async (cmd) => (await client.exec(name, cmd)).stdout.toString('utf8').trim();
    const placeholder = await read(['cat', '/run/berth/secrets/ANTHROPIC_API_KEY']);
    const broker = await read(['printenv', 'ANTHROPIC_BASE_URL']);
    if (!placeholder.startsWith('berth-key-') || !broker.startsWith('http'))
      throw new Error(`session ${name} has no brokered key (${placeholder.slice(0, 12)}…, ${broker})`);
    const rounds = (opts.quick ? PREVIEW_ROUNDS_QUICK : PREVIEW_ROUNDS) + PREVIEW_WARMUP_ROUNDS;
    log(
      `${op}: ${rounds - PREVIEW_WARMUP_ROUNDS} rounds of ${PREVIEW_BATCH} turns a side, from inside the session`,
    );
    const r = await client.exec(name, [
      'node',
      '-e',
      TURN_SCRIPT,
      broker,
      placeholder,
      api.url,
      DISPATCH_KEY,
      String(rounds),
      String(PREVIEW_BATCH),
    ]);
    if (r.exitCode !== 0)
      throw new Error(`${op}: the turns failed: ${r.stderr.toString('utf8').slice(0, 400)}`);
    const got = JSON.parse(r.stdout.toString('utf8'));
    for (const round of got.slice(PREVIEW_WARMUP_ROUNDS)) {
      samples[op].berth.push(...round.broker);
      samples[op].raw.push(...round.raw);
      samples[op].paired.push(median(round.broker) / median(round.raw));
    }
    loadStats[op] = { rounds: rounds - PREVIEW_WARMUP_ROUNDS, requests_per_round: PREVIEW_BATCH };
  } finally {
    await client.remove(name, true).catch(() => undefined);
    await api.close();
  }
}

/** What a volume holds on disk (the engine's own count, from `docker system df -v`). */
async function volumeBytes(name) {
  const df = await docker.df();
  return (df.Volumes ?? []).find((v) => v.Name === name)?.UsageData?.Size ?? null;
}

// ---------------------------------------------------------------------------------------------
// preview_http: one small page from a preview, straight, through the host port, through the server

/** A repository whose whole content is a small web page, the preview's document root. */
async function makePageRepo(dir, marker) {
  await mkdir(dir, { recursive: true });
  await git(dir, ['init', '-q', '-b', 'main']);
  const para = '<p>lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n'.repeat(16);
  await writeFile(
    join(dir, 'index.html'),
    `<!doctype html><html><head><meta charset="utf-8"><title>${marker}</title></head><body><h1>${marker}</h1>\n${para}</body></html>\n`,
  );
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-q', '-m', 'bench: a page']);
  return dir;
}

/** One GET over `agent`; resolves with its status, body and time in ms. */
function httpGet(agent, target, path = '/') {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(
      { agent, host: target.host, port: target.port, path, headers: target.headers, timeout: 10_000 },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - t0,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`GET ${path} from ${target.host}:${target.port} timed out`)),
    );
    req.on('error', reject);
    req.end();
  });
}

async function previewOps(client, port) {
  const name = 'bench-preview';
  const marker = `berth bench page ${runId}`;
  const repo = await makePageRepo(join(tmpRoot, 'repos', 'page'), marker);
  const session = await client.createSession({
    name,
    repo,
    memoryBytes: LIST_SESSION_MEMORY,
    preview: { command: PREVIEW_COMMAND, port: PREVIEW_PORT },
  });
  const hostPort = session.preview?.hostPort;
  if (!hostPort)
    throw new Error(`session ${name} has no preview host port: ${JSON.stringify(session.preview)}`);
  const info = await docker.getContainer(session.containerId).inspect();
  const nets = info.NetworkSettings?.Networks ?? {};
  const ip = (nets[NETWORK] ?? Object.values(nets)[0])?.IPAddress;
  if (!ip) throw new Error(`session ${name}'s container has no IP address`);

  // The ticket, followed as a browser would: a 303 on the preview's own host with its cookie.
  const ticket = await client.previewTicket(name);
  const u = new URL(ticket.url);
  const auth = await httpGet(
    undefined,
    {
      host: '127.0.0.1',
      port,
      headers: { host: u.host },
    },
    `${u.pathname}${u.search}`,
  );
  const cookie = String([auth.headers['set-cookie'] ?? []].flat()[0] ?? '').split(';')[0];
  if (auth.status !== 303 || !cookie) throw new Error(`the preview ticket gave ${auth.status}, no cookie`);

  // One keep-alive agent a side (busybox's httpd still closes each connection after its answer).
  const agents = [];
  const side = (host, p, headers) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    return { agent, target: { host, port: p, headers } };
  };
  const sides = {
    raw: side(ip, PREVIEW_PORT, { host: `localhost:${PREVIEW_PORT}` }),
    forward: side('127.0.0.1', hostPort, { host: `127.0.0.1:${hostPort}` }),
    proxy: side('127.0.0.1', port, { host: u.host, cookie }),
  };
  try {
    for (const [key, s] of Object.entries(sides)) {
      const r = await httpGet(s.agent, s.target);
      if (r.status !== 200 || !r.body.includes(marker))
        throw new Error(`preview GET (${key}) answered ${r.status}: ${r.body.slice(0, 200)}`);
    }
    const rounds = opts.quick ? PREVIEW_ROUNDS_QUICK : PREVIEW_ROUNDS;
    const orders = [
      ['raw', 'forward', 'proxy'],
      ['proxy', 'raw', 'forward'],
      ['forward', 'proxy', 'raw'],
    ];
    log(`preview_http: ${rounds} rounds of ${PREVIEW_BATCH} GETs a side, container ${ip}:${PREVIEW_PORT}`);
    for (let i = 0; i < PREVIEW_WARMUP_ROUNDS + rounds; i++) {
      checkInterrupted();
      const measured = i >= PREVIEW_WARMUP_ROUNDS;
      const got = {};
      for (const key of orders[i % orders.length]) {
        const { agent, target } = sides[key];
        const ms = [];
        for (let n = 0; n < PREVIEW_BATCH; n++) {
          const r = await httpGet(agent, target);
          if (r.status !== 200) throw new Error(`preview GET (${key}) answered ${r.status}`);
          ms.push(r.ms);
        }
        got[key] = ms;
      }
      const med = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, median(v)]));
      if (measured) {
        for (const [op, key] of [
          ['preview_http_forward', 'forward'],
          ['preview_http_proxy', 'proxy'],
        ]) {
          samples[op].berth.push(...got[key]);
          samples[op].raw.push(...got.raw);
          // Each round's sides ran back to back: the ratio of their medians shrugs off drift.
          samples[op].paired.push(med[key] / med.raw);
        }
      }
      const tag = measured
        ? `${i - PREVIEW_WARMUP_ROUNDS + 1}/${rounds}`
        : `warm-up ${i + 1}/${PREVIEW_WARMUP_ROUNDS}`;
      log(
        `preview_http ${tag}: median ms raw ${med.raw.toFixed(2)}, forwarder ${med.forward.toFixed(2)}, proxy ${med.proxy.toFixed(2)}`,
      );
    }
    for (const op of ['preview_http_forward', 'preview_http_proxy']) {
      loadStats[op] = { rounds, requests_per_round: PREVIEW_BATCH };
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
  // Untimed: the session goes, and with it the forwarder and the host port's lease.
  await client.remove(name, true);
}

// ---------------------------------------------------------------------------------------------
// list_sessions: the daemon's busiest read, under load

/** `count` real sessions, a few at a time; each is a running busybox with a small memory limit. */
async function makeSessions(client, repo, count) {
  const names = Array.from({ length: count }, (_, i) => `list-${String(i).padStart(3, '0')}`);
  const t0 = performance.now();
  let made = 0;
  const worker = async () => {
    for (let name = names.shift(); name; name = names.shift()) {
      checkInterrupted();
      await client.createSession({ name, repo, memoryBytes: LIST_SESSION_MEMORY });
      if (++made % 10 === 0) log(`  ${made}/${count} sessions`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  log(`made ${count} sessions in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

function getOnce(agent, socketPath, path) {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ agent, socketPath, path, headers: { host: 'localhost' } }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `clients` keep-alive connections, each sending its next request as the last one ends, for `ms`. */
async function load(socketPath, path, clients, ms) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const latencies = [];
  let failures = 0;
  const t0 = performance.now();
  const until = t0 + ms;
  const client = async () => {
    while (performance.now() < until) {
      const start = performance.now();
      const status = await getOnce(agent, socketPath, path);
      latencies.push(performance.now() - start);
      if (status !== 200) failures++;
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  if (failures > 0) throw new Error(`${failures} of ${latencies.length} requests to ${path} failed`);
  return { latencies, requests: latencies.length, seconds };
}

/** The raw side: node:http on a unix socket, in its own process as the daemon is, answering the same JSON. */
async function startRawServer(bodyFile, socketPath) {
  const script = `
    const http = require('node:http');
    const data = JSON.parse(require('node:fs').readFileSync(process.argv[1], 'utf8'));
    http.createServer((req, res) => {
      const body = JSON.stringify(data);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }).listen(process.argv[2], () => process.stdout.write('ready\\n'));`;
  rawServer = spawn(process.execPath, ['-e', script, bodyFile, socketPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    rawServer.stdout.once('data', resolve);
    rawServer.once('exit', (code) => reject(new Error(`the raw HTTP server exited (${code})`)));
  });
}

async function listSessionsOps(client, sessions) {
  const op = 'list_sessions';
  const repo = await makeRepo(join(tmpRoot, 'repos', 'list'), 10);
  log(`making ${sessions} sessions for list_sessions${opts.quick ? ' (--quick)' : ''}`);
  await makeSessions(client, repo, sessions);
  const listed = await client.listSessions();
  if (listed.length < sessions)
    throw new Error(`the daemon lists ${listed.length} sessions, not ${sessions}`);
  const path = '/api/v1/sessions';
  const bodyFile = join(tmpRoot, 'sessions.json');
  await writeFile(bodyFile, JSON.stringify({ sessions: listed }));
  const rawSocket = join(tmpRoot, 'raw-http.sock');
  await startRawServer(bodyFile, rawSocket);
  const sides = { berth: join(home, 'berth.sock'), raw: rawSocket };
  const throughput = { berth: { requests: 0, seconds: 0 }, raw: { requests: 0, seconds: 0 } };
  // Warm both (JIT, connection set-up), then raw, berth, berth, raw: drift hits both alike.
  for (const side of ['berth', 'raw']) await load(sides[side], path, LIST_CLIENTS, 500);
  for (const side of ['raw', 'berth', 'berth', 'raw']) {
    checkInterrupted();
    const r = await load(sides[side], path, LIST_CLIENTS, (LIST_SECONDS * 1000) / 2);
    samples[op][side].push(...r.latencies);
    throughput[side].requests += r.requests;
    throughput[side].seconds += r.seconds;
    log(`${op} ${side}: ${(r.requests / r.seconds).toFixed(0)} req/s over ${r.seconds.toFixed(1)} s`);
  }
  const rps = (side) => throughput[side].requests / throughput[side].seconds;
  loadStats[op] = {
    sessions,
    clients: LIST_CLIENTS,
    seconds_per_side: LIST_SECONDS,
    body_bytes: Buffer.byteLength(JSON.stringify({ sessions: listed })),
    rps: Math.round(rps('berth')),
    raw_rps: Math.round(rps('raw')),
    rps_ratio: round2(rps('berth') / rps('raw')),
    p99_ms: round2(percentile(samples[op].berth, 99)),
    raw_p99_ms: round2(percentile(samples[op].raw, 99)),
  };
  rawServer.kill('SIGTERM');
  await waitExit(rawServer, 3_000);
}

// ---------------------------------------------------------------------------------------------
// dashboard_first_load: the web dashboard in Chromium, cold, against a static page of the same rows

/** What the dashboard row could not do, said in the table and the JSON instead of a number. */
const skipped = {};
/** Sum of the gzipped sizes of the dashboard's JS files; null when it is not built. */
let dashboardJsGzipBytes = null;
/** Sizes of what berth adds on disk, for the report: the agents volume. */
const volumeSizes = {};

async function measureDashboardJs() {
  const dir = join(WEB_DIST, 'assets');
  if (!existsSync(dir)) return;
  const files = (await readdir(dir)).filter((f) => f.endsWith('.js'));
  let total = 0;
  for (const f of files) total += gzipSync(await readFile(join(dir, f)), { level: 9 }).length;
  dashboardJsGzipBytes = total;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** The raw side: the same number of rows as static HTML (cards, as the dashboard shows by default). */
function staticListPage(sessions) {
  const esc = (v) => String(v ?? '').replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const cards = sessions
    .map(
      (s) =>
        `<li class="session-card"><a href="/sessions/${esc(s.name)}">${esc(s.name)}</a>` +
        `<span class="status">${esc(s.status)}</span><dl><dt>Repository</dt><dd>${esc(s.repo)}</dd>` +
        `<dt>Branch</dt><dd><code>${esc(s.branch)}</code></dd><dt>Age</dt><dd>${esc(s.createdAt)}</dd></dl></li>`,
    )
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Sessions</title></head><body><main><h1>Sessions</h1><ul class="session-cards">\n${cards}\n</ul></main></body></html>\n`;
}

async function startStaticServer(html) {
  const server = createHttpServer((_req, res) => {
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
    });
    res.end(html);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  staticServer = server;
  return `http://127.0.0.1:${server.address().port}/`;
}

/**
 * One cold load: a fresh context (empty cache), and the time, on the page's own clock (0 is
 * navigation start), when the list first holds `rows` rows, seen by a MutationObserver.
 */
async function firstLoad(url, rows, init) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    if (init) await init(context);
    await context.addInitScript(
      ({ selector, want }) => {
        const check = () => {
          if (window.__rowsAt === undefined && document.querySelectorAll(selector).length >= want) {
            window.__rowsAt = performance.now();
          }
        };
        new MutationObserver(check).observe(document, { childList: true, subtree: true });
        document.addEventListener('DOMContentLoaded', check);
      },
      { selector: SESSION_ROWS, want: rows },
    );
    const page = await context.newPage();
    await page.goto(url, { waitUntil: 'commit', timeout: 30_000 });
    await page.waitForFunction(() => window.__rowsAt !== undefined, null, { timeout: 30_000 });
    return await page.evaluate(() => window.__rowsAt);
  } finally {
    await context.close();
  }
}

async function dashboardFirstLoadOps(client, port) {
  const op = 'dashboard_first_load';
  await measureDashboardJs();
  if (dashboardJsGzipBytes === null) {
    skipped[op] = 'the dashboard is not built (run `npm run build`)';
    return;
  }
  if (!existsSync(CHROMIUM)) {
    skipped[op] =
      `no Chromium at ${CHROMIUM} (install Debian's chromium, or run \`node scripts/setup.mjs --for-tests\` as root)`;
    return;
  }
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    skipped[op] = 'playwright-core is not installed (run `npm ci`)';
    return;
  }
  const sessions = await client.listSessions();
  const base = `http://127.0.0.1:${port}`;
  // Signed in once through the API: each fresh context gets the cookie and this tab's CSRF token.
  const username = `bench-${runId}`;
  const password = `bench ${randomUUID()}`;
  await client.createUser({ username, password, role: 'admin' });
  const { cookie, csrfToken } = await client.login(username, password);
  const eq = cookie.indexOf('=');
  const signIn = async (context) => {
    await context.addCookies([{ name: cookie.slice(0, eq), value: cookie.slice(eq + 1), url: base }]);
    await context.addInitScript((token) => sessionStorage.setItem('berth.csrf', token), csrfToken);
  };
  const rawUrl = await startStaticServer(staticListPage(sessions));
  log(`${op}: ${sessions.length} sessions, Chromium at ${CHROMIUM}`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
  const sides = {
    berth: () => firstLoad(`${base}/`, sessions.length, signIn),
    raw: () => firstLoad(rawUrl, sessions.length),
  };
  for (let i = 0; i < FIRST_LOAD_WARMUP + FIRST_LOADS; i++) {
    checkInterrupted();
    const measured = i >= FIRST_LOAD_WARMUP;
    const order = i % 2 === 0 ? ['berth', 'raw'] : ['raw', 'berth'];
    const got = {};
    for (const side of order) got[side] = await sides[side]();
    if (measured) {
      samples[op].berth.push(got.berth);
      samples[op].raw.push(got.raw);
      samples[op].paired.push(got.berth / got.raw);
    }
    const tag = measured
      ? `${i - FIRST_LOAD_WARMUP + 1}/${FIRST_LOADS}`
      : `warm-up ${i + 1}/${FIRST_LOAD_WARMUP}`;
    log(`${op} ${tag}: dashboard ${got.berth.toFixed(1)} ms, static page ${got.raw.toFixed(1)} ms`);
  }
  loadStats[op] = { sessions: sessions.length };
  await browser.close();
  browser = null;
  staticServer.close();
  staticServer = null;
}

// ---------------------------------------------------------------------------------------------
// event_latency: from a kill outside berth to the news of it

/** Frames and engine events as they arrive, with the time each came. */
function arrivals() {
  const seen = [];
  const waiters = new Set();
  return {
    push(item) {
      const at = performance.now();
      seen.push({ item, at });
      for (const w of waiters) w();
    },
    /** When the first item since `from` that `ok` accepts came. */
    async when(from, ok, what, ms = 10_000) {
      const deadline = performance.now() + ms;
      for (;;) {
        const hit = seen.find((x) => x.at >= from && ok(x.item));
        if (hit) return hit.at;
        if (performance.now() > deadline) throw new Error(`no ${what} within ${ms} ms of the kill`);
        await new Promise((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, 50);
          waiters.add(done);
        });
      }
    },
  };
}

async function eventLatencyOps(client, repo) {
  const op = 'event_latency';
  const name = 'bench-events';
  const session = await client.createSession({ name, repo, memoryBytes: LIST_SESSION_MEMORY });
  const frames = arrivals();
  const ws = client.events();
  ws.on('message', (data) => frames.push(JSON.parse(data.toString('utf8'))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', (err) => log(`events WebSocket: ${err.message}`));
  ws.send(JSON.stringify({ type: 'subscribe.session', session: name, id: 'sub' }));
  await frames.when(0, (f) => f.type === 'ack' && f.id === 'sub', 'subscription ack');

  const engine = arrivals();
  const abort = new AbortController();
  const stream = await docker.getEvents({
    abortSignal: abort.signal,
    filters: { type: ['container'], event: ['die'], container: [session.containerId] },
  });
  let buf = '';
  stream.on('data', (chunk) => {
    buf += chunk.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) engine.push(JSON.parse(line));
    }
  });
  stream.on('error', () => {}); // ends with the abort below
  try {
    const container = docker.getContainer(session.containerId);
    for (let i = 0; i < opts.warmup + opts.iterations; i++) {
      checkInterrupted();
      const measured = i >= opts.warmup;
      const t0 = performance.now();
      await container.kill();
      const [berthAt, rawAt] = await Promise.all([
        frames.when(
          t0,
          (f) => f.type === 'session.status.changed' && f.session.id === session.id && f.to === 'stopped',
          'session.status.changed frame',
        ),
        engine.when(t0, (e) => e.Action === 'die', 'die event from the engine'),
      ]);
      const got = { berth: berthAt - t0, raw: rawAt - t0 };
      if (measured) {
        samples[op].berth.push(got.berth);
        samples[op].raw.push(got.raw);
        samples[op].paired.push(got.berth / got.raw);
      }
      const tag = measured ? `${i - opts.warmup + 1}/${opts.iterations}` : `warm-up ${i + 1}/${opts.warmup}`;
      log(`${op} ${tag}: WebSocket ${got.berth.toFixed(1)} ms, engine events ${got.raw.toFixed(1)} ms`);
      // Untimed: running again (and its frame seen) before the next kill.
      const startedAt = performance.now();
      await client.act(name, 'start');
      await frames.when(
        startedAt,
        (f) => f.type === 'session.status.changed' && f.session.id === session.id && f.to === 'running',
        'running again',
      );
    }
  } finally {
    abort.abort();
    stream.destroy?.();
    ws.terminate();
  }
}

// ---------------------------------------------------------------------------------------------
// Output

function results() {
  return OPERATIONS.filter((o) => samples[o.name].berth.length > 0).map((o) => {
    const { berth, raw, paired } = samples[o.name];
    const med = median(berth);
    const rawMed = median(raw);
    return {
      name: o.name,
      median_ms: round1(med),
      raw_median_ms: round1(rawMed),
      ratio: round2(med / rawMed),
      p90_ms: round1(percentile(berth, 90)),
      raw_p90_ms: round1(percentile(raw, 90)),
      // A load row has no pairs: its requests ran side by side, not one berth then one raw.
      paired_ratio: paired.length > 0 ? round2(median(paired)) : null,
      iterations: berth.length,
      ...(loadStats[o.name] ?? {}),
    };
  });
}

function table(rows, meta) {
  const head = ['operation', 'berth median', 'raw median', 'ratio', 'berth p90', 'raw p90', 'paired', 'n'];
  const body = rows.map((r) => [
    r.name,
    `${r.median_ms.toFixed(1)} ms`,
    `${r.raw_median_ms.toFixed(1)} ms`,
    `${r.ratio.toFixed(2)}x`,
    `${r.p90_ms.toFixed(1)} ms`,
    `${r.raw_p90_ms.toFixed(1)} ms`,
    r.paired_ratio === null ? '-' : `${r.paired_ratio.toFixed(2)}x`,
    String(r.iterations),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const fmt = (cells) =>
    cells.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  const lines = [
    `berth bench: image ${meta.image}, Docker Engine ${meta.engine}, ${meta.cpus} CPUs, node ${process.version}`,
    `engine ops: ${opts.iterations} iterations after ${opts.warmup} warm-up, berth and raw interleaved;` +
      ' berth through its daemon over the unix socket, raw through dockerode',
    '',
    fmt(head),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...body.map(fmt),
    '',
    ...OPERATIONS.filter((o) => rows.some((r) => r.name === o.name)).map(
      (o) => `  ${o.name.padEnd(widths[0])}  ${o.what}`,
    ),
  ];
  lines.push(
    "  ratio = berth median / raw median; paired = median of each iteration's berth/raw (robust to drift)",
  );
  const list = rows.find((r) => r.name === 'list_sessions');
  if (list) {
    const n = (v) => v.toLocaleString('en-US');
    lines.push(
      `  list_sessions: ${list.sessions} sessions (${n(list.body_bytes)}-byte body), ${list.clients} keep-alive` +
        ` clients, ${list.seconds_per_side} s a side: berth ${n(list.rps)} req/s (p99 ${list.p99_ms.toFixed(1)} ms),` +
        ` raw ${n(list.raw_rps)} req/s (p99 ${list.raw_p99_ms.toFixed(1)} ms): ${list.rps_ratio.toFixed(2)}x the raw` +
        ' throughput; n = requests',
    );
  }
  const first = rows.find((r) => r.name === 'dashboard_first_load');
  if (first) {
    lines.push(
      `  dashboard_first_load: ${first.sessions} sessions, ${FIRST_LOADS} cold loads a side after ${FIRST_LOAD_WARMUP}` +
        ' warm-up, signed in by cookie; n = loads',
    );
  }
  for (const [op, why] of Object.entries(skipped)) lines.push(`  ${op}: skipped: ${why}`);
  if (dashboardJsGzipBytes !== null) {
    lines.push(
      `  dashboard JS: ${(dashboardJsGzipBytes / 1024).toFixed(1)} KiB gzipped (${dashboardJsGzipBytes.toLocaleString('en-US')}` +
        ' bytes, sum of packages/web/dist/assets/*.js, gzip -9)',
    );
  }
  if (rows.some((r) => r.name === 'event_latency')) {
    lines.push(
      "  event_latency: berth reports a stop once the engine's inspect says `exited`, which the engine answers" +
        ' only after its exit clean-up, tens of ms after it emits `die`',
    );
  }
  const preview = rows.find((r) => r.name.startsWith('preview_http'));
  if (preview) {
    lines.push(
      `  preview_http: ${preview.rounds} rounds after ${PREVIEW_WARMUP_ROUNDS} warm-up, ${preview.requests_per_round}` +
        ' sequential GETs a side a round (a 1.2 KB page), the three sides in turn, one keep-alive agent each; busybox' +
        " httpd closes every connection, so each GET pays a connect (and the forwarder's and the proxy's own connect" +
        ' to the container); n = requests; paired = median of the per-round median ratios',
    );
  }
  if (rows.some((r) => r.name === 'create_remote')) {
    lines.push(
      "  create_remote: berth's first session from the remote (the clone into its cache) is left out; n = sessions",
    );
  }
  if (rows.some((r) => r.name === 'dispatch_claude')) {
    const size = volumeSizes.agents;
    lines.push(
      "  dispatch_claude: berth also seeds Claude Code's HOME, its credentials and status directory; the agents volume" +
        ` (all four CLIs) holds ${size ? `${(size / 1024 ** 2).toFixed(0)} MiB` : 'an unknown size'}; n = sessions`,
    );
  }
  if (rows.some((r) => r.name === 'create_agent')) {
    lines.push(
      "  create_agent: berth also makes the agent's credentials dir and copies its launcher in; n = sessions",
    );
  }
  for (const r of rows) {
    const o = OPERATIONS.find((x) => x.name === r.name);
    if (o?.load || o?.requests) continue; // hundreds of requests always spread
    const { berth, raw } = samples[r.name];
    const spread = (v) => Math.max(...v) / Math.min(...v);
    if (spread(berth) > 3 || spread(raw) > 3) {
      const range = (v) => `${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)} ms`;
      lines.push(
        `  note: ${r.name} samples spread widely (berth ${range(berth)}, raw ${range(raw)}): the machine's` +
          ' state, not berth, sets these numbers; read the paired ratio',
      );
    }
  }
  if (opts.quick) {
    lines.push(
      `  (--quick: worktree_20k skipped; list_sessions and dashboard_first_load with ${LIST_SESSIONS_QUICK} sessions, not ${LIST_SESSIONS};` +
        ` create_remote ${REMOTE_ITERATIONS_QUICK} iterations, create_agent ${AGENT_ITERATIONS_QUICK}, preview_http ${PREVIEW_ROUNDS_QUICK} rounds)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------
// Main

async function main() {
  const version = await docker.version().catch((err) => {
    throw new Error(`no Docker Engine answers (${err.message}); start it or run \`npm run setup\``);
  });
  await docker
    .getImage(IMAGE)
    .inspect()
    .catch(() => {
      throw new Error(`image ${IMAGE} is missing; build it with \`node scripts/setup.mjs --for-tests\``);
    });
  if (!existsSync(join(root, 'packages/cli/dist/bin.js')))
    throw new Error('berth is not built: run `npm run build`');

  tmpRoot = await mkdtemp(join(tmpdir(), 'berth-bench-'));
  home = join(tmpRoot, 'home');
  log(`image ${IMAGE}, BERTH_HOME ${home}, run ${runId}`);

  log('making a 100-file repository');
  const repo100 = await makeRepo(join(tmpRoot, 'repos', 'r100'), 100);
  const st = await stat(repo100);
  const user = st.uid === 0 ? `${FALLBACK_ID}:${FALLBACK_ID}` : `${st.uid}:${st.gid}`;

  checkInterrupted();
  log('starting the daemon');
  const tcpPort = await freePort();
  const client = await startDaemon(tcpPort);
  log(`daemon up (pid ${daemon.pid}); engine operations, berth/raw ms per iteration`);
  if (want('create', 'pause_resume', 'exec', 'remove')) await engineOps(client, repo100, user);

  checkInterrupted();
  log('working copies, 100 files');
  if (want('worktree_100')) await worktreeOps('worktree_100', repo100, opts.warmup, opts.iterations);

  if (!opts.quick && want('worktree_20k')) {
    checkInterrupted();
    log('making a 20,000-file repository (about a minute on a slow disk)');
    const t0 = performance.now();
    const repo20k = await makeRepo(join(tmpRoot, 'repos', 'r20k'), 20_000);
    log(`made it in ${((performance.now() - t0) / 1000).toFixed(1)} s; working copies, 20,000 files`);
    await worktreeOps('worktree_20k', repo20k, opts.bigWarmup, opts.bigIterations);
  }

  checkInterrupted();
  log('sessions from a file:// remote, cache warm');
  if (want('create_remote')) await createRemoteOps(client, repo100, user);

  checkInterrupted();
  log('agent sessions: the stand-in agent, until its tmux session is up');
  if (want('create_agent')) await createAgentOps(client, repo100, user);

  checkInterrupted();
  log('agent dispatch: the real Claude Code, until its first model request with the prompt');
  if (want('dispatch_claude')) await dispatchClaudeOps(client, repo100, user);
  if (want('model_turn_broker')) await brokerTurnOps(client, repo100);
  if (want('egress_request')) await egressOps();

  checkInterrupted();
  log('preview HTTP: straight to the container, through the host port, through the berth server');
  if (want('preview_http_forward', 'preview_http_proxy')) await previewOps(client, tcpPort);

  checkInterrupted();
  if (want('list_sessions', 'dashboard_first_load'))
    await listSessionsOps(client, opts.quick ? LIST_SESSIONS_QUICK : LIST_SESSIONS);

  checkInterrupted();
  log('dashboard first load in Chromium, with the list_sessions sessions in the store');
  if (want('dashboard_first_load')) await dashboardFirstLoadOps(client, tcpPort);

  checkInterrupted();
  log('event latency: docker kill until the WebSocket frame, and until the engine event');
  if (want('event_latency')) await eventLatencyOps(client, repo100);

  const rows = results();
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        image: IMAGE,
        quick: opts.quick,
        operations: rows,
        dashboard_js_gzip_bytes: dashboardJsGzipBytes,
        agents_volume_bytes: volumeSizes.agents ?? null,
        skipped,
      })}\n`,
    );
  } else {
    process.stdout.write(table(rows, { image: IMAGE, engine: version.Version, cpus: cpus().length }));
  }
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = interrupted ? 130 : 1;
  log(interrupted ? `stopped: ${err.message}` : `failed: ${err?.stack ?? err}`);
  const tail = daemonLog && existsSync(daemonLog) ? daemonLogTail() : '';
  if (tail) log(`daemon log tail:\n${tail}`);
} finally {
  await cleanup();
}
process.exit(exitCode);
