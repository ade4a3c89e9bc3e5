import { GitError, IllegalTransition, InvalidInput } from '../errors/berth-error.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { Secrets } from '../secrets/secrets.js';
import type { SessionPatch } from '../store/store.js';
import { applyMerge, type MergePlan, planMerge } from '../workspace/merge.js';
import { cacheScopeOf, parseRemote, type RemoteRepos } from '../workspace/remote-repos.js';
import type { RepoInfo } from '../workspace/repo-inspection.js';
import { takeSnapshot } from '../workspace/session-snapshot.js';
import type { WorkCollector } from '../workspace/work-collector.js';
import type { WorkingCopies } from '../workspace/working-copies.js';
import type { LiveSession, Session } from './session.js';
import {
  beforeStart,
  eachFeature,
  type SessionFeature,
  SSH_KEY_NAME,
  SSH_KEY_SCOPE,
} from './session-features.js';
import type { SessionLedger } from './session-ledger.js';
import { assertVerb, requireContainer } from './state-machine.js';

export interface FinishOptions {
  /** Push berth/NAME (and the base, when merged) to the session's remote. */
  push?: boolean;
  /** Merge berth/NAME into the base branch (a remote session needs push too). */
  merge?: boolean;
}

export interface SessionWorkDeps {
  ledger: SessionLedger;
  runtime: ContainerRuntime;
  workspaces: WorkingCopies;
  /** Turns the working copy into a commit and a bundle, whether or not the image has git. */
  collector: Pick<WorkCollector, 'collect'>;
  features: readonly SessionFeature[];
  secrets?: Secrets;
  remotes?: RemoteRepos;
}

/**
 * A session's work going out of it: the snapshot behind a diff, and finish (commit, merge, push,
 * then the container and working copy go) or discard (everything goes, the work too).
 */
export class SessionWork {
  constructor(private readonly deps: SessionWorkDeps) {}

  /** The session branch against its base, uncommitted work included, control characters stripped. */
  diff(ref: string): Promise<{ session: Session; base: string; head: string; diff: string }> {
    return this.deps.ledger.act(ref, async (s) => {
      const repo = await this.deps.workspaces.inspectRepo(s.repo);
      let head: string;
      if (s.status === 'finished') {
        head = s.branch;
      } else if (
        s.containerId &&
        (s.status === 'running' || s.status === 'paused' || s.status === 'stopped')
      ) {
        const live = requireContainer(s);
        head = await this.withLiveContainer(live, () =>
          this.snapshot(live, repo, 'berth: snapshot for diff'),
        );
      } else {
        throw new IllegalTransition(`session '${s.name}' has nothing to diff: it is ${s.status}`);
      }
      const diff = await this.deps.workspaces.diff(repo, s.baseCommit, head);
      return { session: s, base: s.baseCommit, head, diff };
    });
  }

  /**
   * Commits everything on the session branch, then removes the container and working copy. With
   * `merge` the base branch moves to include the work; with `push` the branch (and the merged base)
   * goes to the remote. A refused merge or a failed push changes nothing: the session keeps running.
   */
  finish(ref: string, message: string, opts: FinishOptions = {}): Promise<Session> {
    if (
      typeof message !== 'string' ||
      message.trim() === '' ||
      message.includes('\0') ||
      message.length > 65_536
    ) {
      return Promise.reject(
        new InvalidInput('a commit message is required to finish', {
          hint: 'e.g. `berth finish NAME -m "Add login"`',
        }),
      );
    }
    return this.deps.ledger.act(ref, async (found) => {
      assertVerb(found.name, found.status, 'finish');
      const s = requireContainer(found, 'to finish from');
      const { remote, repo, key } = await this.finishTarget(s, opts);
      const commit = await this.withLiveContainer(s, () => this.snapshot(s, repo, message));
      // Until the container goes, nothing the user sees has moved: a refusal leaves all as it was.
      let plan: MergePlan | null = null;
      if (opts.merge) {
        plan = await planMerge({
          repo,
          baseBranch: s.baseBranch,
          branch: s.branch,
          commit,
          identity: s.gitUser,
          sessionName: s.name,
        });
      }
      if (opts.push && remote) {
        const refspecs = [`${commit}:refs/heads/${s.branch}`];
        if (plan && plan.kind !== 'up-to-date') refspecs.push(`${plan.newBase}:${plan.baseRef}`);
        await this.deps.remotes?.push(repo.root, remote, key, refspecs).catch((err: Error) => {
          throw new GitError(`${err.message}; session '${s.name}' is still running, nothing was changed`, {
            hint: `fix the access and run \`berth finish ${s.name} --push\` again, or finish without --push`,
          });
        });
      }
      if (plan) {
        if (remote)
          await applyMerge(repo, plan).catch(() => undefined); // the remote has it; a fetch catches up
        else await applyMerge(repo, plan);
      }
      await this.deps.workspaces.setRef(repo, `refs/heads/${s.branch}`, commit);
      const released = await this.teardown(s, { keepBranch: true });
      let reason =
        commit === s.baseCommit ? 'finished with no changes' : `finished at ${commit.slice(0, 12)}`;
      if (plan?.kind === 'merge' || plan?.kind === 'fast-forward') reason += `, merged into ${s.baseBranch}`;
      if (opts.push && remote) reason += `, pushed to ${remote.url}`;
      return this.deps.ledger.transition(s, 'finished', reason, 'finish', {
        ...released,
        containerId: null,
        workspacePath: null,
        hasSshKey: false,
      });
    });
  }

  /** Where a finish takes the work: the remote (fetched afresh when merging) or the local repository. */
  private async finishTarget(s: Session, opts: FinishOptions) {
    const { remotes, workspaces } = this.deps;
    const remote = s.remote && remotes ? parseRemote(s.remote) : null;
    if (opts.push && !remote) {
      throw new InvalidInput(
        `session '${s.name}' was made from a local repository: there is no remote to push to`,
        {
          hint: `finish without --push; push ${s.branch} from ${s.repo} yourself`,
        },
      );
    }
    if (opts.merge && remote && !opts.push) {
      throw new InvalidInput(
        `merging session '${s.name}' into its remote's ${s.baseBranch} needs --push too`,
        {
          hint: `finish with --merge --push, or without --merge and open a merge request for ${s.branch}`,
        },
      );
    }
    const key = remote ? await this.sshKeyOf(s) : null;
    // The remote's base as it is now, so the merge (and its push) starts from there.
    const repo =
      opts.merge && remote && remotes
        ? await remotes.prepare(remote, key, () => {}, cacheScopeOf(s))
        : await workspaces.inspectRepo(s.repo);
    return { remote, repo, key };
  }

  /** Container, working copy, berth's refs and the branch: all gone (and the session's key). */
  discard(s: Session): Promise<SessionPatch> {
    return this.teardown(s, { keepBranch: false });
  }

  /** The key of an ended session that never had a container to discard. */
  async forgetKey(s: Pick<Session, 'id'>): Promise<void> {
    await this.deps.secrets?.delete(SSH_KEY_SCOPE(s.id));
  }

  /** The container goes, then what every feature holds, then the working copy (and the branch unless kept). */
  private async teardown(s: Session, opts: { keepBranch: boolean }): Promise<SessionPatch> {
    if (s.containerId) await this.deps.runtime.remove(s.containerId);
    const released = await eachFeature(this.deps.features, (f) => f.release(s));
    await this.deps.workspaces.remove({
      repoRoot: s.repo,
      sessionId: s.id,
      branch: s.branch,
      path: s.workspacePath,
      keepBranch: opts.keepBranch,
    });
    return released;
  }

  /** The session's SSH key, opened for one git call; null when it has none. */
  private async sshKeyOf(s: Session): Promise<string | null> {
    if (!s.hasSshKey || !this.deps.secrets) return null;
    const key = await this.deps.secrets.get(SSH_KEY_SCOPE(s.id), SSH_KEY_NAME);
    return key ? key.toString('utf8') : null;
  }

  /** Runs work with the container up: a paused or stopped session is woken and put back after. */
  private async withLiveContainer<T>(s: LiveSession, work: () => Promise<T>): Promise<T> {
    const { runtime, features } = this.deps;
    if (s.status === 'paused') await runtime.unpause(s.containerId);
    if (s.status === 'stopped') {
      await beforeStart(features, s);
      await runtime.start(s.containerId);
    }
    try {
      return await work();
    } finally {
      if (s.status === 'paused') await runtime.pause(s.containerId).catch(() => undefined);
      if (s.status === 'stopped') await runtime.stop(s.containerId).catch(() => undefined);
    }
  }

  /** Runs the snapshot script in the container and fetches its bundle; returns the commit. */
  private snapshot(s: LiveSession, repo: RepoInfo, message: string): Promise<string> {
    return takeSnapshot(this.deps, s, repo, message);
  }
}
