// One bench run's context: its temp root and BERTH_HOME, the daemon and the 100-file repository
// (made when a scenario first asks), the samples, and everything to undo. Scenarios register
// their own undo with `defer`; cleanup runs those last-first, then sweeps the engine for anything
// labelled with this run's home or run id.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultCredentialsRoot, LABEL_HOME, loadConfig } from '@berth/core';
import Docker from 'dockerode';
import { daemonEnv, startDaemon } from './daemon.mjs';
import { RawEngine } from './raw-engine.mjs';
import { log, makeRepo } from './util.mjs';

export class Run {
  #deferred = [];
  #cleaning = null;
  #daemon = null;
  #repo = null;

  /** `rowNames`: every row of every scenario, each with its own samples. */
  constructor(opts, rowNames) {
    this.opts = opts;
    this.log = log;
    this.docker = new Docker();
    this.runId = randomUUID().slice(0, 8);
    this.tmpRoot = null;
    this.home = null;
    /** berth's configuration as the bench's daemon loads it; set by open. */
    this.config = null;
    this.raw = null;
    this.daemonLog = null;
    this.interrupted = null;
    this.samples = Object.fromEntries(rowNames.map((n) => [n, { berth: [], raw: [], paired: [] }]));
    /** What a row measures besides latency (throughput, rounds, the set-up it ran with). */
    this.loadStats = {};
    /** Rows that could not run, with why, said in the table and the JSON instead of a number. */
    this.skipped = {};
    /** Sizes for the report: the dashboard's gzipped JS, berth's agents volume. */
    this.report = { dashboardJsGzipBytes: null, agentsVolumeBytes: null };
  }

  /** Whether any of these rows is to run (all, without --only). */
  want(...names) {
    return !this.opts.only || names.some((n) => this.opts.only.has(n));
  }

  async open() {
    this.tmpRoot = await mkdtemp(join(tmpdir(), 'berth-bench-'));
    this.home = join(this.tmpRoot, 'home');
    this.config = loadConfig(daemonEnv(this.home));
    this.raw = new RawEngine(this.docker, this.runId, this.config);
  }

  /** `fn` runs at cleanup, after everything deferred later than it. */
  defer(fn) {
    this.#deferred.push(fn);
  }

  /** Between steps: stop when a signal asked to. */
  checkInterrupted() {
    if (this.interrupted) throw new Error(`interrupted by ${this.interrupted}`);
  }

  /** First signal: finish the step in flight, then clean up. Second: clean up now. */
  handleSignals() {
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.on(signal, () => {
        if (!this.interrupted) {
          this.interrupted = signal;
          log(`${signal}: stopping after the step in flight, then cleaning up (again to stop at once)`);
          return;
        }
        this.cleanup().finally(() => process.exit(130));
      });
    }
  }

  /** The daemon, started on first use: { client, port, socketPath, pid }. */
  daemon() {
    if (!this.#daemon) {
      this.checkInterrupted();
      log('starting the daemon');
      this.#daemon = startDaemon(this);
    }
    return this.#daemon;
  }

  /**
   * The 100-file repository most rows make sessions of, made on first use, and the uid:gid
   * berth runs its sessions as for it (its owner's; berth's fallback when root owns it).
   */
  repo100() {
    this.#repo ??= (async () => {
      log('making a 100-file repository');
      const repo = await makeRepo(join(this.tmpRoot, 'repos', 'r100'), 100);
      const st = await stat(repo);
      const { fallbackUid, fallbackGid } = this.config;
      const user = st.uid === 0 ? `${fallbackUid}:${fallbackGid}` : `${st.uid}:${st.gid}`;
      return { repo, user };
    })();
    return this.#repo;
  }

  /** Runs every deferred step, removes every container, volume, network and directory this run made. Safe to call twice. */
  cleanup() {
    this.#cleaning ??= this.#doCleanup();
    return this.#cleaning;
  }

  async #doCleanup() {
    for (const fn of this.#deferred.splice(0).reverse()) {
      await Promise.resolve()
        .then(fn)
        .catch((err) => log(`cleanup: ${err?.message ?? err}`));
    }
    const filters = [];
    if (this.home) filters.push([`${LABEL_HOME}=${this.home}`]);
    if (this.raw) filters.push(this.raw.filter);
    await this.#sweep(filters);
    // Agent credentials live on a tmpfs outside BERTH_HOME.
    if (this.home) {
      await rm(defaultCredentialsRoot(this.home), { recursive: true, force: true }).catch(() => undefined);
    }
    if (this.tmpRoot) {
      await rm(this.tmpRoot, { recursive: true, force: true }).catch((err) =>
        log(`could not remove ${this.tmpRoot}: ${err.message}`),
      );
    }
  }

  /** Containers, then volumes and networks (one in use cannot go), carrying any of these label sets. */
  async #sweep(filters) {
    const docker = this.docker;
    const kinds = [
      {
        what: 'container',
        list: async (label) =>
          (await docker.listContainers({ all: true, filters: { label } })).map((c) => ({
            name: c.Id.slice(0, 12),
            remove: () => docker.getContainer(c.Id).remove({ force: true, v: true }),
          })),
      },
      {
        what: 'volume',
        list: async (label) =>
          ((await docker.listVolumes({ filters: { label } })).Volumes ?? []).map((v) => ({
            name: v.Name,
            remove: () => docker.getVolume(v.Name).remove({ force: true }),
          })),
      },
      {
        what: 'network',
        list: async (label) =>
          (await docker.listNetworks({ filters: { label } })).map((n) => ({
            name: n.Name,
            remove: () => docker.getNetwork(n.Id).remove(),
          })),
      },
    ];
    for (const { what, list } of kinds) {
      for (const label of filters) {
        try {
          const found = await list(label);
          await Promise.all(
            found.map((x) =>
              x.remove().catch((err) => log(`could not remove ${what} ${x.name}: ${err.message}`)),
            ),
          );
          if (found.length > 0)
            log(`removed ${found.length} leftover ${what}(s) labelled ${label.join(', ')}`);
        } catch (err) {
          log(`could not list ${what}s labelled ${label.join(', ')}: ${err.message}`);
        }
      }
    }
  }
}
