import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Duplex, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import tarStream from 'tar-stream';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { ERROR_CODES } from '../../src/errors/berth-error.js';
import { LABEL_HOME, LABEL_MANAGED, LABEL_SESSION_ID } from '../../src/runtime/labels.js';
import type {
  ContainerRuntime,
  ContainerSpec,
  ContainerStats,
  Dialer,
  ExecOptions,
  LogChunk,
  RuntimeCapabilities,
  RuntimeEvent,
} from '../../src/runtime/runtime.js';

/**
 * One conformance suite for berth's runtime port: the engine behaviour berth's core relies on
 * (session/, workspace/, previews/, agents/, egress/), checked through `ContainerRuntime` only, so
 * that every driver (Docker today, Kubernetes later) is held to the same contract.
 */

/** What a driver hands the suite. */
export interface ConformanceHarness {
  runtime: ContainerRuntime;
  /** A small image with a busybox userland (sh, cat, id, ps, seq, stat, stty, httpd, nc) and a user 1000. */
  image: string;
  /**
   * The BERTH_HOME the runtime was made for: listManaged, volumes and events are scoped to it.
   * The suite labels a few containers and volumes `${home}-other`, as another berth's.
   */
  home: string;
  /**
   * A session network the suite may ensure and join (the driver's cleanup removes it: the port
   * has no call to). Without one the network checks are skipped.
   */
  network?: string;
  /** The same driver pointed at an engine that is not there: errors must say so. */
  unreachable?: ContainerRuntime;
  /** Removes whatever the suite left of both homes (containers, volumes) and the network. */
  cleanup(): Promise<void>;
}

/** Every figure `stats` has; a driver's `capabilities.stats` names those it really measures. */
const STATS_FIELDS: readonly (keyof ContainerStats)[] = [
  'cpuPercent',
  'cpuUsageNanos',
  'memoryBytes',
  'memoryLimitBytes',
  'networkRxBytes',
  'networkTxBytes',
  'pids',
];

const MiB = 1024 * 1024;

/** What the checks need of a harness; a control passes a deliberately broken runtime in it. */
interface Target {
  runtime: ContainerRuntime;
  image: string;
  home: string;
}

function rand(): string {
  return randomBytes(4).toString('hex');
}

function managedLabels(home: string, sessionId = `conf-${rand()}`): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_HOME]: home, [LABEL_SESSION_ID]: sessionId };
}

function spec(t: Target, overrides: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: `berth-conf-${rand()}`,
    image: t.image,
    command: ['sleep', 'infinity'],
    user: '1000:1000',
    env: {},
    workingDir: '/',
    labels: managedLabels(t.home),
    mounts: [],
    cpus: 1,
    memoryBytes: 256 * MiB,
    pids: 128,
    network: 'none',
    ...overrides,
  };
}

/** Makes a container (started unless told not to) that goes when the test ends. */
async function container(
  t: Target,
  overrides: Partial<ContainerSpec> = {},
  opts: { start?: boolean } = {},
): Promise<string> {
  const id = await t.runtime.create(spec(t, overrides));
  onTestFinished(() => t.runtime.remove(id));
  if (opts.start !== false) await t.runtime.start(id);
  return id;
}

function sh(t: Target, id: string, script: string, opts: Omit<ExecOptions, 'cmd'> = {}) {
  return t.runtime.exec(id, { cmd: ['sh', '-c', script], ...opts });
}

async function shOut(t: Target, id: string, script: string, opts: Omit<ExecOptions, 'cmd'> = {}) {
  const r = await sh(t, id, script, opts);
  expect(r.exitCode, `\`${script}\` failed: ${r.stderr.toString()}`).toBe(0);
  return r.stdout.toString().trim();
}

/** Until the container's command has said it is set up (its traps), by touching /tmp/ready. */
async function untilReady(t: Target, id: string): Promise<void> {
  await expect
    .poll(async () => (await sh(t, id, 'test -e /tmp/ready')).exitCode, { timeout: 20_000 })
    .toBe(0);
}

async function status(t: Target, id: string) {
  return (await t.runtime.inspect(id))?.status;
}

async function collect(chunks: AsyncIterable<LogChunk>): Promise<{ stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  for await (const c of chunks) {
    if (c.stream === 'stderr') stderr += c.data.toString();
    else stdout += c.data.toString();
  }
  return { stdout, stderr };
}

/** The container's own limits as its cgroup says (v2, or v1's files). */
async function cgroupLimits(t: Target, id: string) {
  const out = await shOut(
    t,
    id,
    'if [ -e /sys/fs/cgroup/cgroup.controllers ]; then ' +
      'echo "$(cat /sys/fs/cgroup/memory.max) $(cat /sys/fs/cgroup/pids.max) $(cat /sys/fs/cgroup/cpu.max)"; ' +
      'else echo "$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) $(cat /sys/fs/cgroup/pids/pids.max) ' +
      '$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)"; fi',
  );
  const [memory, pids, quota, period] = out.split(/\s+/).map(Number) as [number, number, number, number];
  return { memoryBytes: memory, pids, cpus: quota / period };
}

/** A terminal's output as it comes, read up to what a test waits for. */
class Screen {
  private text = '';
  private cursor = 0;
  private ended = false;
  private wake: () => void = () => undefined;

  constructor(stream: Duplex) {
    stream.on('data', (d: Buffer) => {
      this.text += d.toString('utf8');
      this.wake();
    });
    const end = () => {
      this.ended = true;
      this.wake();
    };
    stream.once('end', end);
    stream.once('close', end);
  }

  /** Waits for `re` in what came after the last match; returns its first group (or the match). */
  async until(re: RegExp, ms = 20_000): Promise<string> {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(this.text.slice(this.cursor));
      if (m) {
        this.cursor += m.index + m[0].length;
        return m[1] ?? m[0];
      }
      if (this.ended || Date.now() > deadline) {
        throw new Error(`the terminal never showed ${re}: ${JSON.stringify(this.text.slice(-400))}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }
}

/** A tar of `files` (path without the leading slash → content, mode), owned by uid:gid. */
async function tarOf(files: Record<string, { content: string; mode: number }>, uid: number, gid: number) {
  const pack = tarStream.pack();
  for (const [name, f] of Object.entries(files)) pack.entry({ name, mode: f.mode, uid, gid }, f.content);
  pack.finalize();
  const parts: Buffer[] = [];
  for await (const chunk of pack) parts.push(chunk as Buffer);
  return Buffer.concat(parts);
}

/** HTTP GET from this process over one connection the dialer opens; the status line, or null. */
function httpStatusLine(dial: Dialer, ms = 5_000): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = dial();
    let text = '';
    const done = (v: string | null) => {
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => done(null), ms);
    socket.on('close', () => clearTimeout(timer));
    socket.on('error', () => done(null));
    socket.write('GET / HTTP/1.0\r\nHost: localhost\r\n\r\n');
    socket.on('data', (d: Buffer) => {
      text += d.toString();
      const nl = text.indexOf('\r\n');
      if (nl >= 0) done(text.slice(0, nl));
    });
    socket.on('end', () => done(text || null));
  });
}

/**
 * The checks the controls below also run against deliberately broken drivers: each must be able
 * to fail.
 */
export const checks = {
  /** exec: stdout, stderr and the exit code apart. */
  async execKeepsStreamsApart(t: Target): Promise<void> {
    const id = await container(t);
    const r = await sh(t, id, 'echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ exitCode: 3, truncated: false });
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.stderr.toString()).toBe('err\n');
  },

  /** inspect: a container that is not there is null, not an error (reconciler, agents volume). */
  async inspectOfMissingIsNull(t: Target): Promise<void> {
    expect(await t.runtime.inspect(`berth-conf-missing-${rand()}`)).toBeNull();
    const id = await container(t, {}, { start: false });
    await t.runtime.remove(id);
    expect(await t.runtime.inspect(id)).toBeNull();
  },

  /** logs: `tail` keeps the last lines only. */
  async logsTail(t: Target): Promise<void> {
    const id = await container(t, { command: ['sh', '-c', 'seq 1 10; sleep infinity'] });
    await expect
      .poll(async () => (await collect(t.runtime.logs(id, { follow: false }))).stdout, { timeout: 20_000 })
      .toMatch(/10\n$/);
    const tail = await collect(t.runtime.logs(id, { tail: 3, follow: false }));
    expect(tail.stdout).toBe('8\n9\n10\n');
  },
};

/** Every import of this file: the port's types and berth's own nouns, never a driver or engine client. */
const ALLOWED_IMPORTS = new Set([
  'node:crypto',
  'node:fs',
  'node:net',
  'node:os',
  'node:path',
  'node:stream',
  'node:url',
  'tar-stream',
  'vitest',
  '../../src/errors/berth-error.js',
  '../../src/runtime/labels.js',
  '../../src/runtime/runtime.js',
]);

export function runtimeConformance(name: string, make: () => Promise<ConformanceHarness>): void {
  describe(`runtime conformance: ${name}`, () => {
    let h: ConformanceHarness;
    // Where engines differ (pause, live limits, which stats), the checks follow what the driver declares.
    let caps: RuntimeCapabilities;

    beforeAll(async () => {
      h = await make();
      caps = h.runtime.capabilities;
    });
    afterAll(async () => {
      await h?.cleanup();
    });

    it('the suite speaks only the port: it imports no driver and no engine client', () => {
      const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
      const imports = [...source.matchAll(/^import[\s\S]*?from '([^']+)';$/gm)].map((m) => m[1]);
      expect(imports.length).toBeGreaterThan(0);
      expect(imports.filter((i) => !ALLOWED_IMPORTS.has(i!))).toEqual([]);
      // Nor one loaded at run time.
      expect(source).not.toMatch(/\bimport\(|\brequire\(/);
    });

    describe('the engine', () => {
      it('the driver declares its capabilities: pause freeze or none, live limits or not, stats it measures', () => {
        expect(['freeze', 'none']).toContain(caps.pause);
        expect(typeof caps.liveResize).toBe('boolean');
        expect(caps.stats.filter((f) => !STATS_FIELDS.includes(f))).toEqual([]);
      });

      it('answers a ping and says its version and OCI runtimes', async () => {
        await h.runtime.ping();
        const info = await h.runtime.info();
        expect(info.serverVersion).not.toBe('');
        expect(info.runtimes.length).toBeGreaterThan(0);
        expect(['1', '2', '']).toContain(info.cgroupVersion);
      });

      it('knows the test image and not a missing one', async () => {
        expect(await h.runtime.imageExists(h.image)).toBe(true);
        expect(await h.runtime.imageExists(`berth-conf/missing:${rand()}`)).toBe(false);
      });
    });

    describe('create, inspect and listManaged', () => {
      it('inspect finds a container by id and by name, with its status and labels', async () => {
        const s = spec(h);
        const id = await h.runtime.create(s);
        onTestFinished(() => h.runtime.remove(id));
        const made = await h.runtime.inspect(id);
        expect(made).toMatchObject({ id, name: s.name, status: 'created' });
        expect(made?.labels).toMatchObject(s.labels);
        expect((await h.runtime.inspect(s.name))?.id).toBe(id);
        await h.runtime.start(id);
        expect(await h.runtime.inspect(id)).toMatchObject({ status: 'running', exitCode: null });
      });

      it('inspect of a container that is not there is null', () => checks.inspectOfMissingIsNull(h));

      it('a finished container says its exit code, and that memory did not end it', async () => {
        const id = await container(h, { command: ['sh', '-c', 'exit 3'] });
        await expect.poll(() => status(h, id), { timeout: 20_000 }).toBe('exited');
        expect(await h.runtime.inspect(id)).toMatchObject({
          status: 'exited',
          exitCode: 3,
          oomKilled: false,
        });
      });

      it('a second container of a name in use is refused, and the first is kept', async () => {
        const s = spec(h);
        const id = await h.runtime.create(s);
        onTestFinished(() => h.runtime.remove(id));
        await expect(h.runtime.create(s)).rejects.toMatchObject({ code: expect.any(String) });
        expect((await h.runtime.inspect(s.name))?.id).toBe(id);
      });

      it('a command the image does not have: start refuses it, or it exits 126 or 127', async () => {
        // The agent preflight takes either as "this image has no such command".
        const id = await container(
          h,
          { command: [`berth-conf-no-such-command-${rand()}`] },
          { start: false },
        );
        const started = await h.runtime.start(id).then(
          () => true,
          (err: unknown) => {
            expect(ERROR_CODES).toContain((err as { code?: string }).code);
            return false;
          },
        );
        if (started) {
          await expect.poll(() => status(h, id), { timeout: 20_000 }).toBe('exited');
          expect([126, 127]).toContain((await h.runtime.inspect(id))?.exitCode);
        }
      });

      it("listManaged lists this home's containers in every state, and no other home's", async () => {
        const created = await container(h, {}, { start: false });
        const running = await container(h);
        const exited = await container(h, { command: ['true'] });
        await expect.poll(() => status(h, exited), { timeout: 20_000 }).toBe('exited');
        const otherHome = await container(h, { labels: managedLabels(`${h.home}-other`) });
        const unmanaged = await container(h, { labels: { [LABEL_HOME]: h.home } });
        const listed = await h.runtime.listManaged();
        const byId = new Map(listed.map((c) => [c.id, c]));
        expect(byId.get(created)?.status).toBe('created');
        expect(byId.get(running)?.status).toBe('running');
        expect(byId.get(exited)?.status).toBe('exited');
        expect(byId.get(running)?.labels).toMatchObject({ [LABEL_MANAGED]: 'true', [LABEL_HOME]: h.home });
        expect(byId.get(running)?.name).toMatch(/^berth-conf-/);
        expect(byId.has(otherHome)).toBe(false);
        expect(byId.has(unmanaged)).toBe(false);
        expect(listed.every((c) => c.labels[LABEL_HOME] === h.home)).toBe(true);
      });

      it('remove takes a running container; removing one that is not there is not an error', async () => {
        const id = await container(h);
        await h.runtime.remove(id);
        expect(await h.runtime.inspect(id)).toBeNull();
        await h.runtime.remove(id);
        await h.runtime.remove(`berth-conf-missing-${rand()}`);
      });
    });

    describe("the spec's container, seen from inside (docs/security.md's checklist)", () => {
      it("runs as the spec's user with its env and working directory", async () => {
        const id = await container(h, {
          user: '1000:1000',
          env: { CONF_A: 'from the spec' },
          workingDir: '/tmp',
        });
        expect(await shOut(h, id, 'echo "$(id -u):$(id -g) $CONF_A $(pwd)"')).toBe(
          '1000:1000 from the spec /tmp',
        );
        // The main process too, not only what exec starts.
        expect(await shOut(h, id, "grep '^Uid:' /proc/1/status")).toMatch(/^Uid:\s+1000\s/);
      });

      it('has no capabilities, none to gain, and no new privileges, its main process and an exec alike', async () => {
        const id = await container(h);
        for (const pid of ['1', 'self']) {
          const s = await shOut(h, id, `cat /proc/${pid}/status`);
          expect(s).toMatch(/^CapEff:\s+0+$/m);
          expect(s).toMatch(/^CapPrm:\s+0+$/m);
          expect(s).toMatch(/^CapBnd:\s+0+$/m);
          expect(s).toMatch(/^NoNewPrivs:\s+1$/m);
        }
      });

      it("carries the spec's memory, CPU and pids limits", async () => {
        const id = await container(h, { cpus: 0.5, memoryBytes: 96 * MiB, pids: 64 });
        expect(await cgroupLimits(h, id)).toEqual({ memoryBytes: 96 * MiB, pids: 64, cpus: 0.5 });
      });

      it('the pids limit holds: forking past it fails', async () => {
        const id = await container(h, { pids: 24 });
        const r = await sh(h, id, 'i=0; while [ $i -lt 40 ]; do sleep 30 >/dev/null 2>&1 & i=$((i+1)); done');
        expect(r.stderr.toString()).toMatch(/can't fork|Resource temporarily unavailable/);
      });

      it('the memory limit holds: a process past it is killed, and inspect says memory ended it', async () => {
        const id = await container(h, {
          memoryBytes: 32 * MiB,
          command: ['sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo survived'],
        });
        await expect.poll(() => status(h, id), { timeout: 30_000 }).toBe('exited');
        expect(await h.runtime.inspect(id)).toMatchObject({ exitCode: 137, oomKilled: true });
      });

      it('an init reaps orphaned processes, so no zombies pile up', async () => {
        const id = await container(h);
        const states = await shOut(h, id, 'sh -c "sleep 0.2 &"; sleep 1; cat /proc/[0-9]*/stat');
        expect(states).toMatch(/\(sleep\)/);
        expect(states).not.toMatch(/\) Z /);
      });

      it('a read-only mount refuses writes; a writable volume keeps what one container wrote for the next', async () => {
        const volume = `berth-conf-${rand()}`;
        await h.runtime.createVolume(volume, managedLabels(h.home));
        onTestFinished(() => h.runtime.removeVolume(volume));
        const writer = await container(h, {
          user: '0:0',
          mounts: [{ type: 'volume', source: volume, target: '/data', readOnly: false }],
        });
        await shOut(h, writer, 'echo kept > /data/f');
        await h.runtime.remove(writer);
        const reader = await container(h, {
          mounts: [{ type: 'volume', source: volume, target: '/data', readOnly: true }],
        });
        expect(await shOut(h, reader, 'cat /data/f')).toBe('kept');
        const w = await sh(h, reader, 'echo no > /data/g');
        expect(w.exitCode).not.toBe(0);
        expect(w.stderr.toString()).toMatch(/Read-only file system/);
      });

      it("a host directory mounts as berth's working copy does: writable, or read-only", async () => {
        const dir = mkdtempSync(join(tmpdir(), 'berth-conf-bind-'));
        onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
        writeFileSync(join(dir, 'from-host'), 'host\n');
        // The session's user writes the working copy, as berth's uid mapping makes it its owner.
        chmodSync(dir, 0o777);
        const id = await container(h, {
          mounts: [
            { type: 'bind', source: dir, target: '/workspace', readOnly: false },
            { type: 'bind', source: dir, target: '/ro', readOnly: true },
          ],
        });
        expect(await shOut(h, id, 'cat /workspace/from-host; echo made > /workspace/from-container')).toBe(
          'host',
        );
        expect(readFileSync(join(dir, 'from-container'), 'utf8')).toBe('made\n');
        expect((await sh(h, id, 'echo no > /ro/x')).exitCode).not.toBe(0);
      });
    });

    describe('exec', () => {
      it('keeps stdout, stderr and the exit code apart', () => checks.execKeepsStreamsApart(h));

      it('passes stdin through whole: bytes, a string, and an empty one (end of input)', async () => {
        const id = await container(h);
        const bytes = Buffer.concat([Buffer.from([...Array(256).keys()]), randomBytes(MiB)]);
        const r = await h.runtime.exec(id, { cmd: ['cat'], stdin: bytes });
        expect(r.exitCode).toBe(0);
        expect(r.stdout.equals(bytes)).toBe(true);
        expect((await h.runtime.exec(id, { cmd: ['cat'], stdin: 'a prompt\n' })).stdout.toString()).toBe(
          'a prompt\n',
        );
        expect(await h.runtime.exec(id, { cmd: ['cat'], stdin: '' })).toMatchObject({
          exitCode: 0,
          truncated: false,
        });
      });

      it('takes stdin from a stream as the command reads it: all of it in order, then end of input', async () => {
        const id = await container(h);
        const chunks = Array.from({ length: 64 }, () => randomBytes(256 * 1024));
        const whole = Buffer.concat(chunks);
        let pulled = 0;
        const source = new Readable({
          read() {
            this.push(pulled < chunks.length ? chunks[pulled++] : null);
          },
        });
        const r = await h.runtime.exec(id, { cmd: ['sh', '-c', 'sha256sum | cut -c1-64'], stdin: source });
        expect(r.exitCode).toBe(0);
        expect(r.stdout.toString().split('\n')[0]).toBe(createHash('sha256').update(whole).digest('hex'));
        expect(pulled).toBe(chunks.length);
      });

      it('a command that exits before reading all its stdin stream has its own result', async () => {
        const id = await container(h);
        const source = Readable.from(
          (function* () {
            for (let i = 0; i < 256; i++) yield randomBytes(64 * 1024);
          })(),
        );
        const r = await h.runtime.exec(id, {
          cmd: ['sh', '-c', 'head -c 10 > /dev/null; echo done; exit 3'],
          stdin: source,
        });
        expect(r).toMatchObject({ exitCode: 3, truncated: false });
        expect(r.stdout.toString()).toBe('done\n');
        // What it did not read is not left waiting to be read (a producer behind it can end).
        expect(source.destroyed).toBe(true);
      });

      it('a stdin stream that fails fails the exec with a berth error and leaves nothing running', async () => {
        const id = await container(h);
        const source = new Readable({ read() {} });
        source.push(Buffer.from('partial'));
        setTimeout(() => source.destroy(new Error('the source broke')), 200);
        const err = await h.runtime
          .exec(id, { cmd: ['sh', '-c', 'cat > /tmp/got; sleep 30'], stdin: source })
          .catch((e) => e);
        expect(err).toMatchObject({ code: 'engine_error' });
        expect(String(err.message)).toMatch(/the source broke/);
        const ps = await h.runtime.exec(id, { cmd: ['ps', '-o', 'args'] });
        expect(ps.stdout.toString()).not.toMatch(/sleep 30/);
      });

      it('a stdin stream that fails before the exec is made fails it too, never waiting on it', async () => {
        const id = await container(h);
        const source = new Readable({ read() {} });
        process.nextTick(() => source.destroy(new Error('broke at once')));
        await expect(h.runtime.exec(id, { cmd: ['cat'], stdin: source })).rejects.toMatchObject({
          code: 'engine_error',
          message: expect.stringMatching(/broke at once/),
        });
      });

      it('without stdin a command reads end of input at once, never waiting for any', async () => {
        const id = await container(h);
        const r = await h.runtime.exec(id, { cmd: ['cat'] });
        expect(r).toMatchObject({ exitCode: 0 });
        expect(r.stdout.length).toBe(0);
      });

      it("sees the container's env with its own on top, and runs as the spec's user in its working directory unless told", async () => {
        const id = await container(h, {
          user: '1000:1000',
          workingDir: '/tmp',
          env: { CONF_SPEC: 'spec', CONF_BOTH: 'spec' },
        });
        const script = 'echo "$CONF_SPEC $CONF_BOTH $CONF_EXEC $(id -u):$(id -g) $(pwd)"';
        expect(await shOut(h, id, script)).toBe('spec spec  1000:1000 /tmp');
        expect(
          await shOut(h, id, script, {
            env: { CONF_BOTH: 'exec', CONF_EXEC: 'exec' },
            user: '1234:2345',
            workingDir: '/workspace',
          }),
        ).toBe('spec exec exec 1234:2345 /workspace');
      });

      it('a command that is not there exits 126 or 127; one killed by a signal says 128 + its number', async () => {
        const id = await container(h);
        const missing = await h.runtime.exec(id, { cmd: [`berth-conf-no-such-command-${rand()}`] });
        expect([126, 127]).toContain(missing.exitCode);
        expect((await sh(h, id, 'kill -9 $$')).exitCode).toBe(137);
      });

      it('output past maxOutputBytes is cut there, marked, and its command ended', async () => {
        const id = await container(h);
        const r = await sh(h, id, 'yes', { maxOutputBytes: 64 * 1024 });
        expect(r.truncated).toBe(true);
        expect(r.stdout.length).toBe(64 * 1024);
        expect(r.stdout.subarray(0, 4).toString()).toBe('y\ny\n');
        expect(await shOut(h, id, 'ps -o args')).not.toMatch(/\byes\b/);
      });

      it('stderr has its own limit: past it the command is ended, its stdout whole; within both nothing is marked', async () => {
        const id = await container(h);
        const loud = await sh(h, id, 'echo out; yes >&2', { maxOutputBytes: 1024 * 1024 });
        expect(loud).toMatchObject({ truncated: true });
        expect(loud.stdout.toString()).toBe('out\n');
        expect(loud.stderr.length).toBe(1024 * 1024);
        const quiet = await sh(h, id, 'printf "%s" "$(seq 1 1000)" >&2; exit 3', {
          maxOutputBytes: 1024 * 1024,
        });
        expect(quiet).toMatchObject({ truncated: false, exitCode: 3 });
        expect(quiet.stderr.toString()).toMatch(/^1\n2\n.*\n1000$/s);
      });

      it('stdout to a sink: every byte goes there in order, none is kept, and the bound holds there too', async () => {
        const id = await container(h);
        const got: Buffer[] = [];
        const sink = new Writable({
          highWaterMark: 1024,
          write(chunk: Buffer, _enc, done) {
            got.push(chunk);
            // A slow reader: the command waits for it, nothing is lost.
            setTimeout(done, 1);
          },
        });
        const r = await sh(h, id, 'seq 1 20000', { stdout: sink });
        expect(r).toMatchObject({ exitCode: 0, truncated: false });
        expect(r.stdout.length).toBe(0);
        const text = Buffer.concat(got).toString();
        expect(text.startsWith('1\n2\n3\n')).toBe(true);
        expect(text.endsWith('\n19999\n20000\n')).toBe(true);
        expect(text.split('\n')).toHaveLength(20001);

        const bounded: Buffer[] = [];
        const small = new Writable({
          write(chunk: Buffer, _enc, done) {
            bounded.push(chunk);
            done();
          },
        });
        const cut = await sh(h, id, 'yes', { stdout: small, maxOutputBytes: 10_000 });
        expect(cut.truncated).toBe(true);
        expect(Buffer.concat(bounded).length).toBe(10_000);
      });

      it('on a stopped container it is refused with a berth error', async () => {
        const id = await container(h, {}, { start: false });
        await expect(sh(h, id, 'true')).rejects.toMatchObject({ code: expect.any(String) });
        const source = Readable.from([Buffer.from('never read')]);
        await expect(h.runtime.exec(id, { cmd: ['cat'], stdin: source })).rejects.toMatchObject({
          code: expect.any(String),
        });
        expect(source.destroyed).toBe(true);
      });
    });

    describe('execInteractive', () => {
      it('is a terminal of the asked size, with its env, user and working directory; keystrokes reach it and `exited` says the exit code', async () => {
        const id = await container(h);
        const term = await h.runtime.execInteractive(id, {
          cmd: ['sh'],
          env: { TERM: 'xterm-256color' },
          user: '1000:1000',
          workingDir: '/tmp',
          cols: 91,
          rows: 27,
        });
        const screen = new Screen(term.stream);
        // Each answer is printed in a form its echoed command line does not contain.
        term.stream.write('[ -t 0 ] && echo "tty-$((40+2))"\n');
        await screen.until(/tty-42/);
        term.stream.write('echo "is""=$TERM:$(id -u):$(pwd):$(stty size | tr " " x)"\n');
        expect(await screen.until(/is=(\S+)/)).toBe('xterm-256color:1000:/tmp:27x91');
        term.stream.write('exit 5\n');
        expect(await term.exited).toBe(5);
      });

      it('resize reaches a terminal that is open', async () => {
        const id = await container(h);
        const term = await h.runtime.execInteractive(id, { cmd: ['sh'], cols: 80, rows: 24 });
        onTestFinished(() => {
          term.stream.destroy();
        });
        const screen = new Screen(term.stream);
        term.stream.write('echo "size""=$(stty size | tr " " x)"\n');
        expect(await screen.until(/size=(\d+x\d+)/)).toBe('24x80');
        await term.resize(120, 40);
        term.stream.write('echo "size""=$(stty size | tr " " x)"\n');
        expect(await screen.until(/size=(\d+x\d+)/)).toBe('40x120');
        term.stream.write('exit\n');
        expect(await term.exited).toBe(0);
      });
    });

    describe('logs', () => {
      it('keep stdout and stderr apart', async () => {
        const id = await container(h, { command: ['sh', '-c', 'echo out; echo err >&2; sleep infinity'] });
        await expect
          .poll(() => collect(h.runtime.logs(id, { follow: false })), { timeout: 20_000 })
          .toEqual({ stdout: 'out\n', stderr: 'err\n' });
      });

      it('tail keeps the last lines only', () => checks.logsTail(h));

      it('follow hands on what is printed after it began, and ends when its signal aborts', async () => {
        const id = await container(h, {
          command: ['sh', '-c', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'],
        });
        const abort = new AbortController();
        let seen = '';
        for await (const chunk of h.runtime.logs(id, { follow: true, signal: abort.signal })) {
          seen += chunk.data.toString();
          if (/tick 4\n/.test(seen)) abort.abort();
        }
        expect(seen).toMatch(/^tick 1\ntick 2\ntick 3\ntick 4\n/);
      });

      it('follow ends on its own when the container exits, with all it printed', async () => {
        // The agent preflight and the agents volume read a helper's whole output this way.
        const id = await container(h, { command: ['sh', '-c', 'echo one; sleep 0.5; echo two >&2; exit 4'] });
        expect(await collect(h.runtime.logs(id, { follow: true }))).toEqual({
          stdout: 'one\n',
          stderr: 'two\n',
        });
        await expect.poll(() => status(h, id), { timeout: 20_000 }).toBe('exited');
        expect((await h.runtime.inspect(id))?.exitCode).toBe(4);
      });
    });

    describe('stop, start and restart', () => {
      it('stop sends SIGTERM and gives its timeout: a main process that cleans up and exits on its own says 0', async () => {
        // Without an init to pass the signal on, or with the timeout cut short, this ends in a kill (137).
        const id = await container(h, {
          command: ['sh', '-c', 'trap "sleep 1; exit 0" TERM; touch /tmp/ready; while :; do sleep 0.1; done'],
        });
        await untilReady(h, id);
        await h.runtime.stop(id, 30);
        expect(await h.runtime.inspect(id)).toMatchObject({ status: 'exited', exitCode: 0 });
      });

      it('stop kills a main process that ignores SIGTERM once its timeout is up (137)', async () => {
        const id = await container(h, {
          command: ['sh', '-c', 'trap "" TERM; touch /tmp/ready; while :; do sleep 1; done'],
        });
        await untilReady(h, id);
        await h.runtime.stop(id, 1);
        expect(await h.runtime.inspect(id)).toMatchObject({ status: 'exited', exitCode: 137 });
      });

      it('stopping a stopped container and starting a running one are not errors', async () => {
        const id = await container(h);
        await h.runtime.start(id);
        expect(await status(h, id)).toBe('running');
        await h.runtime.stop(id, 1);
        await h.runtime.stop(id, 1);
        expect(await status(h, id)).toBe('exited');
      });

      it('a stopped container starts again with its filesystem as it left it', async () => {
        const id = await container(h);
        await shOut(h, id, 'echo before > /tmp/kept');
        await h.runtime.stop(id, 1);
        await h.runtime.start(id);
        expect(await status(h, id)).toBe('running');
        expect(await shOut(h, id, 'cat /tmp/kept')).toBe('before');
      });

      it('restart runs the command afresh, killing one that ignores SIGTERM after its timeout', async () => {
        const id = await container(h, {
          command: ['sh', '-c', 'echo start >> /tmp/starts; trap "" TERM; while :; do sleep 1; done'],
        });
        await expect
          .poll(() => shOut(h, id, 'cat /tmp/starts 2>/dev/null || true'), { timeout: 20_000 })
          .toBe('start');
        await h.runtime.restart(id, 1);
        expect(await h.runtime.inspect(id)).toMatchObject({ status: 'running', exitCode: null });
        await expect.poll(() => shOut(h, id, 'cat /tmp/starts'), { timeout: 20_000 }).toBe('start\nstart');
      });
    });

    describe('pause and unpause', () => {
      it('pause freezes every process (status paused, no CPU used); unpause lets them run on', async () => {
        const id = await container(h, { command: ['sh', '-c', 'while :; do :; done'] });
        if (caps.pause === 'none') {
          await expect(h.runtime.pause(id)).rejects.toMatchObject({ code: expect.any(String) });
          expect(await status(h, id)).toBe('running');
          return;
        }
        await h.runtime.pause(id);
        expect(await status(h, id)).toBe('paused');
        const a = (await h.runtime.stats(id, { quick: true })).cpuUsageNanos;
        await new Promise((r) => setTimeout(r, 500));
        const b = (await h.runtime.stats(id, { quick: true })).cpuUsageNanos;
        expect(b).toBe(a);
        await h.runtime.unpause(id);
        expect(await status(h, id)).toBe('running');
        await expect
          .poll(async () => (await h.runtime.stats(id, { quick: true })).cpuUsageNanos, { timeout: 20_000 })
          .toBeGreaterThan(b);
      });
    });

    describe('update', () => {
      it('new CPU and memory limits reach a running container, which runs on', async (ctx) => {
        if (!caps.liveResize) return ctx.skip('the driver cannot change limits of a running container');
        const id = await container(h, { cpus: 1, memoryBytes: 256 * MiB, pids: 64 });
        await h.runtime.update(id, { cpus: 0.5, memoryBytes: 128 * MiB });
        expect(await cgroupLimits(h, id)).toEqual({ memoryBytes: 128 * MiB, pids: 64, cpus: 0.5 });
        await h.runtime.update(id, { memoryBytes: 192 * MiB });
        expect(await cgroupLimits(h, id)).toEqual({ memoryBytes: 192 * MiB, pids: 64, cpus: 0.5 });
        expect((await h.runtime.stats(id)).memoryLimitBytes).toBe(192 * MiB);
        expect(await status(h, id)).toBe('running');
      });
    });

    describe('stats', () => {
      it('say the memory limit, the pids, memory in use and CPU a busy process uses, its total only growing', async () => {
        const id = await container(h, {
          memoryBytes: 160 * MiB,
          command: ['sh', '-c', 'while :; do :; done'],
        });
        const s = await h.runtime.stats(id);
        for (const v of Object.values(s)) expect(Number.isFinite(v) && v >= 0).toBe(true);
        const has = (f: keyof ContainerStats) => caps.stats.includes(f);
        if (has('memoryLimitBytes')) expect(s.memoryLimitBytes).toBe(160 * MiB);
        if (has('pids')) expect(s.pids).toBeGreaterThanOrEqual(1);
        if (has('memoryBytes')) expect(s.memoryBytes).toBeGreaterThan(0);
        if (has('cpuPercent')) expect(s.cpuPercent).toBeGreaterThan(0);
        if (has('cpuUsageNanos')) {
          expect(s.cpuUsageNanos).toBeGreaterThan(0);
          await expect
            .poll(async () => (await h.runtime.stats(id, { quick: true })).cpuUsageNanos, { timeout: 20_000 })
            .toBeGreaterThan(s.cpuUsageNanos);
        }
      });
    });

    describe('volumes', () => {
      it('are made with labels, listed for this home only, inspected by name, and removed (a missing one is no error)', async () => {
        const ours = `berth-conf-${rand()}`;
        const theirs = `berth-conf-${rand()}`;
        const labels = managedLabels(h.home);
        await h.runtime.createVolume(ours, labels);
        onTestFinished(() => h.runtime.removeVolume(ours));
        await h.runtime.createVolume(theirs, managedLabels(`${h.home}-other`));
        onTestFinished(() => h.runtime.removeVolume(theirs));
        expect(await h.runtime.inspectVolume(ours)).toMatchObject({ name: ours, labels });
        const listed = (await h.runtime.listManagedVolumes()).map((v) => v.name);
        expect(listed).toContain(ours);
        expect(listed).not.toContain(theirs);
        // Another home's volume is still found by name (the agents volume is every berth's).
        expect((await h.runtime.inspectVolume(theirs))?.name).toBe(theirs);
        await h.runtime.removeVolume(ours);
        expect(await h.runtime.inspectVolume(ours)).toBeNull();
        await h.runtime.removeVolume(ours);
        expect(await h.runtime.inspectVolume(`berth-conf-missing-${rand()}`)).toBeNull();
      });

      it('listVolumes finds every volume carrying all the labels asked for, of any home', async () => {
        // berth's agents volumes carry no home: they are found by their labels alone.
        const sessionId = `conf-${rand()}`;
        const ours = `berth-conf-${rand()}`;
        const theirs = `berth-conf-${rand()}`;
        await h.runtime.createVolume(ours, managedLabels(h.home, sessionId));
        onTestFinished(() => h.runtime.removeVolume(ours));
        await h.runtime.createVolume(theirs, managedLabels(`${h.home}-other`, sessionId));
        onTestFinished(() => h.runtime.removeVolume(theirs));
        const names = async (labels: Record<string, string>) =>
          (await h.runtime.listVolumes(labels)).map((v) => v.name).sort();
        expect(await names({ [LABEL_SESSION_ID]: sessionId })).toEqual([ours, theirs].sort());
        expect(await names({ [LABEL_SESSION_ID]: sessionId, [LABEL_HOME]: h.home })).toEqual([ours]);
        expect(await names({ [LABEL_SESSION_ID]: `conf-${rand()}` })).toEqual([]);
        const [found] = await h.runtime.listVolumes({ [LABEL_SESSION_ID]: sessionId, [LABEL_HOME]: h.home });
        expect(found?.labels).toMatchObject(managedLabels(h.home, sessionId));
      });

      it('making one again keeps the one there, its labels and what it holds', async () => {
        const volume = `berth-conf-${rand()}`;
        const labels = managedLabels(h.home);
        await h.runtime.createVolume(volume, labels);
        onTestFinished(() => h.runtime.removeVolume(volume));
        const mounts = [{ type: 'volume' as const, source: volume, target: '/data', readOnly: false }];
        const writer = await container(h, { user: '0:0', mounts });
        await shOut(h, writer, 'echo kept > /data/f');
        await h.runtime.remove(writer);
        await h.runtime.createVolume(volume, labels);
        expect(await h.runtime.inspectVolume(volume)).toMatchObject({ name: volume, labels });
        expect(await shOut(h, await container(h, { mounts }), 'cat /data/f')).toBe('kept');
      });

      it('one a container uses is not removed (berth sweeps it on a later pass)', async () => {
        const volume = `berth-conf-${rand()}`;
        await h.runtime.createVolume(volume, managedLabels(h.home));
        onTestFinished(() => h.runtime.removeVolume(volume));
        const id = await container(h, {
          mounts: [{ type: 'volume', source: volume, target: '/data', readOnly: false }],
        });
        await expect(h.runtime.removeVolume(volume)).rejects.toMatchObject({ code: expect.any(String) });
        expect(await h.runtime.inspectVolume(volume)).not.toBeNull();
        await h.runtime.remove(id);
        await h.runtime.removeVolume(volume);
        expect(await h.runtime.inspectVolume(volume)).toBeNull();
      });
    });

    describe('putArchive', () => {
      it('unpacks a tar before the first start, modes and owners kept, and into a running container', async () => {
        const id = await container(h, {}, { start: false });
        const tar = await tarOf(
          {
            'opt/berth-conf/hello': { content: '#!/bin/sh\necho hello from the archive\n', mode: 0o755 },
            'opt/berth-conf/secret': { content: 'only mine\n', mode: 0o600 },
          },
          1000,
          1000,
        );
        await h.runtime.putArchive(id, '/', tar);
        await h.runtime.start(id);
        expect(await shOut(h, id, '/opt/berth-conf/hello')).toBe('hello from the archive');
        expect(await shOut(h, id, 'stat -c "%u:%g %a" /opt/berth-conf/hello /opt/berth-conf/secret')).toBe(
          '1000:1000 755\n1000:1000 600',
        );
        await h.runtime.putArchive(
          id,
          '/tmp',
          await tarOf({ later: { content: 'live\n', mode: 0o644 } }, 0, 0),
        );
        expect(await shOut(h, id, 'cat /tmp/later')).toBe('live');
      });
    });

    describe('events', () => {
      it("report create, start, die with its exit code and destroy of this home's containers with their labels, none of another home's; abort ends them", async () => {
        const seen: RuntimeEvent[] = [];
        const stop = new AbortController();
        const since = Math.floor(Date.now() / 1000) - 1;
        // Made before the watch began: the events since `since` are replayed (the daemon's restart).
        const other = await container(h, { labels: managedLabels(`${h.home}-other`), command: ['true'] });
        const labels = managedLabels(h.home);
        const id = await h.runtime.create(spec(h, { labels, command: ['sh', '-c', 'sleep 0.5; exit 7'] }));
        onTestFinished(() => h.runtime.remove(id));
        const watching = h.runtime.events(stop.signal, (e) => seen.push(e), undefined, since);
        try {
          await h.runtime.start(id);
          await expect
            .poll(() => seen.some((e) => e.kind === 'die' && e.containerId === id), { timeout: 20_000 })
            .toBe(true);
          await h.runtime.remove(id);
          await expect
            .poll(() => seen.some((e) => e.kind === 'destroy' && e.containerId === id), { timeout: 20_000 })
            .toBe(true);
        } finally {
          stop.abort();
          await watching;
        }
        const mine = seen.filter((e) => e.containerId === id);
        expect(mine.map((e) => e.kind)).toEqual(['create', 'start', 'die', 'destroy']);
        for (const e of mine) expect(e.labels).toMatchObject(labels);
        expect(mine[2]).toMatchObject({ kind: 'die', exitCode: 7 });
        expect(seen.filter((e) => e.containerId === other)).toEqual([]);
      });

      it('report pause and unpause', async (ctx) => {
        if (caps.pause === 'none') return ctx.skip('the driver has no pause');
        const seen: RuntimeEvent[] = [];
        const stop = new AbortController();
        const id = await container(h);
        const watching = h.runtime.events(stop.signal, (e) => seen.push(e));
        try {
          await h.runtime.pause(id);
          await h.runtime.unpause(id);
          // The watch replays from this second: the container's create and start may come first.
          const paused = () =>
            seen
              .filter((e) => e.containerId === id && (e.kind === 'pause' || e.kind === 'unpause'))
              .map((e) => e.kind);
          await expect.poll(paused, { timeout: 20_000 }).toEqual(['pause', 'unpause']);
        } finally {
          stop.abort();
          await watching;
        }
      });
    });

    describe('networks', () => {
      it('a session network: made once, its gateway known, its containers dialled from here and not reached from each other', async (ctx) => {
        const network = h.network;
        if (!network) return ctx.skip('the harness gave no session network');
        await h.runtime.ensureSessionNetwork(network);
        await h.runtime.ensureSessionNetwork(network);
        expect(await h.runtime.networkGateway(network)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        const server = await container(h, {
          network,
          command: ['sh', '-c', 'echo hi > /tmp/index.html; exec httpd -f -p 8080 -h /tmp'],
        });
        const client = await container(h, { network });
        const dial = await h.runtime.dial(server, 8080, { network });
        expect(dial).toBeTypeOf('function');
        expect(await h.runtime.dial(server, 8080, { network: `berth-conf-not-joined-${rand()}` })).toBeNull();
        // The daemon dials a preview; each call is a connection of its own.
        await expect.poll(() => httpStatusLine(dial!), { timeout: 20_000 }).toMatch(/^HTTP\/1\.[01] 200/);
        expect(await httpStatusLine(dial!)).toMatch(/^HTTP\/1\.[01] 200/);
        // Sessions on one network cannot reach each other; the same request from the server's own
        // container shows the request itself works.
        const address = (await shOut(h, server, 'hostname -i')).trim().split(/\s+/)[0];
        expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
        const get = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${address} 8080 | head -n 1`;
        expect(await shOut(h, server, get)).toMatch(/^HTTP\/1\.[01] 200/);
        expect((await sh(h, client, get)).stdout.toString()).toBe('');
      });

      it("a container on network 'none' cannot be dialled", async () => {
        const id = await container(h);
        expect(await h.runtime.dial(id, 8080, { network: 'none' })).toBeNull();
      });
    });

    describe("errors are berth's", () => {
      it('a missing image is not_found', async () => {
        await expect(
          h.runtime.create(spec(h, { image: `berth-conf/missing:${rand()}` })),
        ).rejects.toMatchObject({ code: 'not_found' });
      });

      it('a container that is not there is not_found, for every call but inspect and remove', async () => {
        const id = `berth-conf-missing-${rand()}`;
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['start', () => h.runtime.start(id)],
          ['stop', () => h.runtime.stop(id, 1)],
          ['restart', () => h.runtime.restart(id, 1)],
          ['pause', () => h.runtime.pause(id)],
          ['unpause', () => h.runtime.unpause(id)],
          ['update', () => h.runtime.update(id, { cpus: 1 })],
          ['exec', () => h.runtime.exec(id, { cmd: ['true'] })],
          ['execInteractive', () => h.runtime.execInteractive(id, { cmd: ['sh'] })],
          ['stats', () => h.runtime.stats(id)],
          ['dial', () => h.runtime.dial(id, 8080, { network: 'none' })],
          ['putArchive', async () => h.runtime.putArchive(id, '/', await tarOf({}, 0, 0))],
          ['logs', () => collect(h.runtime.logs(id, { follow: false }))],
          ['logs (follow)', () => collect(h.runtime.logs(id, { follow: true }))],
        ];
        const codes: Record<string, unknown> = {};
        for (const [what, call] of calls) {
          codes[what] = await call().then(
            () => 'resolved',
            (err: unknown) => (err as { code?: string }).code,
          );
        }
        expect(codes).toEqual(Object.fromEntries(calls.map(([what]) => [what, 'not_found'])));
      });

      it('an engine that is not there is engine_unavailable, with a hint', async (ctx) => {
        const down = h.unreachable;
        if (!down) return ctx.skip('the harness gave no unreachable engine');
        const calls: Array<[string, () => Promise<unknown>]> = [
          ['ping', () => down.ping()],
          ['info', () => down.info()],
          ['imageExists', () => down.imageExists(h.image)],
          ['create', () => down.create(spec(h))],
          ['inspect', () => down.inspect('anything')],
          ['listManaged', () => down.listManaged()],
          ['exec', () => down.exec('anything', { cmd: ['true'] })],
          ['listManagedVolumes', () => down.listManagedVolumes()],
        ];
        for (const [what, call] of calls) {
          const err = await call().then(
            () => null,
            (e: unknown) => e as { code?: string; hint?: string },
          );
          expect({ what, code: err?.code, hint: typeof err?.hint }).toEqual({
            what,
            code: 'engine_unavailable',
            hint: 'string',
          });
        }
      });
    });

    // Each check must be able to fail: the same checks, run on drivers broken on purpose.
    describe('the checks catch a driver that breaks the contract (controls)', () => {
      const broken = (override: Partial<ContainerRuntime>): Target => ({
        ...h,
        runtime: new Proxy(h.runtime, {
          get(target, prop, receiver) {
            if (prop in override) return override[prop as keyof ContainerRuntime];
            const v = Reflect.get(target, prop, receiver);
            return typeof v === 'function' ? v.bind(target) : v;
          },
        }),
      });

      it('an exec that hands stderr on as stdout fails the streams check', async () => {
        const merged = broken({
          exec: async (id, opts) => {
            const r = await h.runtime.exec(id, opts);
            return { ...r, stdout: Buffer.concat([r.stdout, r.stderr]), stderr: Buffer.alloc(0) };
          },
        });
        await expect(checks.execKeepsStreamsApart(merged)).rejects.toThrow(/expected/);
      });

      it('an inspect that throws for a missing container fails the missing-container check', async () => {
        const throwing = broken({
          inspect: async (id) => {
            const s = await h.runtime.inspect(id);
            if (!s) throw Object.assign(new Error(`no such container ${id}`), { code: 'not_found' });
            return s;
          },
        });
        await expect(checks.inspectOfMissingIsNull(throwing)).rejects.toThrow(/no such container/);
      });

      it('logs that ignore tail fail the tail check', async () => {
        const untailed = broken({
          logs: (id, opts) =>
            h.runtime.logs(id, { follow: opts.follow, ...(opts.signal ? { signal: opts.signal } : {}) }),
        });
        await expect(checks.logsTail(untailed)).rejects.toThrow(/expected/);
      });
    });
  });
}
