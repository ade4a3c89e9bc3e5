import type { WorkingCopySpec } from './git-workspace.js';
import type { RepoInfo } from './repo-inspection.js';

/** The git side of a session, as the service sees it. GitWorkspaces is today's adapter. */
export interface WorkingCopies {
  inspectRepo(path: string): Promise<RepoInfo>;
  resolveBase(repo: RepoInfo, branch?: string): Promise<{ branch: string; commit: string }>;
  assertBranchFree(repo: RepoInfo, branch: string): Promise<void>;
  create(spec: WorkingCopySpec): Promise<void>;
  /** Takes `sourceRef` of the bundle file (untrusted: checked first) into `targetRef`; the commit. */
  importBundle(repo: RepoInfo, bundleFile: string, sourceRef: string, targetRef: string): Promise<string>;
  setRef(repo: RepoInfo, ref: string, commit: string): Promise<void>;
  renameBranch(repo: RepoInfo, from: string, to: string): Promise<void>;
  diff(repo: RepoInfo, base: string, ref: string): Promise<string>;
  remove(opts: {
    repoRoot: string | null;
    sessionId: string;
    branch: string;
    path: string | null;
    keepBranch: boolean;
  }): Promise<void>;
}
