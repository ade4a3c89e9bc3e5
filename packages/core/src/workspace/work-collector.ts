import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { BerthConfig } from '../config/config.js';
import { DEFAULT_IMAGE } from '../config/config.js';
import { GitError } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import { GVISOR_PIDS_HEADROOM } from '../runtime/isolation.js';
import { collectorLabels } from '../runtime/labels.js';
import { assertSafeMounts } from '../runtime/mount-policy.js';
import type { ContainerRuntime, ExecResult } from '../runtime/runtime.js';
import type { Session } from '../session/session.js';
import { CONTAINER_OBJECTS_DIR } from './git-workspace.js';
import type { RepoInfo } from './repo-inspection.js';
import { NO_GIT_EXIT, SNAPSHOT_SCRIPT } from './snapshot-script.js';

/** berth's own session image carries the git the helper runs; `berth image build` makes it. */
export const COLLECTOR_IMAGE = DEFAULT_IMAGE;

/**
 * Most bytes of a session's work, as a bundle, that berth takes in: past it the diff or finish is
 * refused (the bundle is what the agent committed, so its size is the agent's to choose).
 */
export const BUNDLE_LIMIT = 1024 * 1024 * 1024;

function formatMiB(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${bytes / 1024 ** 3} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;
}

/** What the collector needs of a session: who runs, where its working copy is, how it is isolated. */
export type CollectedSession = Pick<
  Session,
  'id' | 'name' | 'user' | 'baseCommit' | 'workspacePath' | 'runtime' | 'limits'
> & { containerId: string };

/**
 * Runs the snapshot script that turns a session's working copy into a commit and a bundle. In the
 * session's own container when its image has git (a plain exec); otherwise in a short-lived helper
 * container from berth's session image that is given exactly what the session has of its work —
 * the same working copy and the repository's objects read-only — and less of everything else: no
 * network, the session's user, its limits and runtime, every capability dropped. The helper runs
 * git on files the session wrote, so it is as untrusted as the session; the host still never does.
 */
export class WorkCollector {
  /** Helper containers alive right now: the reconciler leaves them be. */
  private readonly active = new Set<string>();

  constructor(
    private readonly deps: {
      runtime: ContainerRuntime;
      config: Pick<BerthConfig, 'home' | 'isolation'>;
      logger: Logger;
      /** Most bytes of a session's work taken in (default BUNDLE_LIMIT). */
      bundleLimit?: number;
    },
  ) {}

  private get bundleLimit(): number {
    return this.deps.bundleLimit ?? BUNDLE_LIMIT;
  }

  /** Whether this helper container is one a collect is using now. */
  isActive(containerId: string): boolean {
    return this.active.has(containerId);
  }

  /**
   * Runs the script; its stdout (commit id line, then bundle bytes; untrusted) goes to a fresh
   * `output()` for each place it is tried (a failed try in the session leaves the engine's words
   * there). Its exit code and stderr are the result.
   */
  async collect(
    s: CollectedSession,
    repo: RepoInfo,
    message: string,
    output: () => Writable,
  ): Promise<ExecResult> {
    const cmd = ['sh', '-c', SNAPSHOT_SCRIPT, 'berth-snapshot', message, s.baseCommit];
    const inSession = await this.deps.runtime.exec(s.containerId, {
      cmd,
      user: s.user,
      workingDir: '/workspace',
      env: { GIT_TERMINAL_PROMPT: '0' },
      maxOutputBytes: this.bundleLimit,
      stdout: output(),
    });
    // 126/127: no runnable sh either; whatever the reason, the image cannot do it itself.
    const res = [NO_GIT_EXIT, 126, 127].includes(inSession.exitCode)
      ? await this.inHelper(s, repo, cmd, output())
      : inSession;
    if (res.truncated) {
      throw new GitError(
        `the work of session '${s.name}' is over ${formatMiB(this.bundleLimit)} as a git bundle: berth takes in no more`,
        {
          hint: `look for big files in its commits (\`berth exec ${s.name} -- git log --stat\`); remove them from its history, then run this again`,
        },
      );
    }
    return res;
  }

  private async inHelper(
    s: CollectedSession,
    repo: RepoInfo,
    cmd: string[],
    stdout: Writable,
  ): Promise<ExecResult> {
    const { runtime, config, logger } = this.deps;
    if (!s.workspacePath) throw new GitError(`session '${s.name}' has no working copy to collect`);
    if (!(await runtime.imageExists(COLLECTOR_IMAGE))) {
      throw new GitError(
        `session '${s.name}' runs an image without git, and berth's own image ${COLLECTOR_IMAGE}, which collects the work then, is not on the engine`,
        { hint: 'build it with `berth image build`, then run this again: the session is unchanged' },
      );
    }
    const mounts = [
      { source: s.workspacePath, target: '/workspace', readOnly: false },
      { source: repo.objectsDir, target: CONTAINER_OBJECTS_DIR, readOnly: true },
    ];
    assertSafeMounts(mounts, { berthHome: config.home, allowedInHome: [s.workspacePath, repo.objectsDir] });
    const gvisor = s.runtime === 'gvisor';
    const id = await runtime.create({
      name: `berth-${s.name}-${s.id.slice(0, 8)}-collect-${randomBytes(3).toString('hex')}`,
      image: COLLECTOR_IMAGE,
      command: ['sleep', 'infinity'],
      user: s.user,
      env: { HOME: '/tmp' },
      workingDir: '/workspace',
      labels: collectorLabels({ sessionId: s.id, sessionName: s.name, home: config.home }),
      mounts,
      cpus: s.limits.cpus,
      memoryBytes: s.limits.memoryBytes,
      pids: s.limits.pids + (gvisor ? GVISOR_PIDS_HEADROOM : 0),
      network: 'none',
      ...(gvisor ? { runtime: config.isolation.gvisorRuntime } : {}),
    });
    this.active.add(id);
    try {
      await runtime.start(id);
      return await runtime.exec(id, {
        cmd,
        user: s.user,
        workingDir: '/workspace',
        env: { GIT_TERMINAL_PROMPT: '0' },
        maxOutputBytes: this.bundleLimit,
        stdout,
      });
    } finally {
      await runtime
        .remove(id)
        .catch((err) => logger.warn({ err, container: id }, 'could not remove a work collector'));
      this.active.delete(id);
    }
  }
}
