import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { GitError } from '../errors/berth-error.js';
import type { Session } from '../session/session.js';
import { sessionRefs } from './git-workspace.js';
import { lastWords } from './host-git.js';
import { isSha, type RepoInfo } from './repo-inspection.js';
import { SNAPSHOT_REF } from './snapshot-script.js';
import type { CollectedSession, WorkCollector } from './work-collector.js';
import type { WorkingCopies } from './working-copies.js';

/** The commit id line the snapshot script prints first (a SHA-256 id and its newline at most). */
const COMMIT_LINE_MAX = 65;

/**
 * The snapshot script's stdout as it arrives: the commit id line kept, the bundle after it written
 * to `file` as it comes (never held in memory, whatever size the session makes it).
 */
class SnapshotSink extends Writable {
  private head = Buffer.alloc(0);
  private split = false;

  constructor(private readonly file: WriteStream) {
    super();
  }

  /** The first line, or null when there was none a commit id could be. */
  commit(): string | null {
    const line = this.head.toString('latin1');
    return this.split && isSha(line) ? line : null;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    if (this.split) {
      this.toFile(chunk, done);
      return;
    }
    const nl = chunk.indexOf(0x0a);
    if (nl < 0) {
      this.head = Buffer.concat([this.head, chunk]).subarray(0, COMMIT_LINE_MAX);
      done();
      return;
    }
    this.head = Buffer.concat([this.head, chunk.subarray(0, nl)]).subarray(0, COMMIT_LINE_MAX);
    this.split = true;
    this.toFile(chunk.subarray(nl + 1), done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.file.end(done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    this.file.destroy();
    done(err);
  }

  private toFile(chunk: Buffer, done: (err?: Error | null) => void): void {
    if (chunk.length === 0 || this.file.write(chunk)) done();
    else this.file.once('drain', () => done());
  }
}

/**
 * Commits everything in the session's working copy (in its container, or a collector's) and takes
 * the result into the user's repo at the session's snapshot ref; the commit. What comes back is
 * untrusted: its size is bounded by the collector, its form is checked by importBundle.
 */
export async function takeSnapshot(
  deps: {
    collector: Pick<WorkCollector, 'collect'>;
    workspaces: Pick<WorkingCopies, 'importBundle' | 'setRef'>;
  },
  s: CollectedSession & Pick<Session, 'baseCommit'>,
  repo: RepoInfo,
  message: string,
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-snapshot-'));
  const sinks: { sink: SnapshotSink; file: string }[] = [];
  try {
    const output = () => {
      const file = join(dir, `session-${sinks.length}.bundle`);
      const sink = new SnapshotSink(createWriteStream(file, { flags: 'wx', mode: 0o600 }));
      sinks.push({ sink, file });
      return sink;
    };
    const res = await deps.collector.collect(s, repo, message, output);
    for (const { sink } of sinks) await finished(sink.end());
    const last = sinks.at(-1);
    const commit = res.exitCode === 0 && last ? last.sink.commit() : null;
    if (!commit || !last) {
      const why = lastWords(res.stderr);
      throw new GitError(`could not collect the session's work (exit ${res.exitCode}): ${why}`, {
        hint: `look at its git with \`berth exec ${s.name} -- git status\``,
      });
    }
    const target = sessionRefs(s.id).snapshot;
    if (commit === s.baseCommit) {
      await deps.workspaces.setRef(repo, target, s.baseCommit);
      return s.baseCommit;
    }
    const fetched = await deps.workspaces.importBundle(repo, last.file, SNAPSHOT_REF, target);
    if (fetched !== commit) throw new GitError('the session reported one commit and sent another');
    return fetched;
  } finally {
    for (const { sink } of sinks) sink.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}
