import type { Session } from '../../api/types';
import type { Directory } from '../../api/use-directory';
import { formatAgo, formatSeconds, lastActivityOf } from '../../format/age';
import { formatBytes } from '../../format/bytes';

/** What the session is: where it came from, what it runs on, and when. */
export function SessionFacts({ session: s, directory }: { session: Session; directory: Directory }) {
  const team = directory.teamName(s.teamId);
  const envNames = Object.keys(s.env);
  return (
    <section className="panel" aria-labelledby="facts-title">
      <h2 id="facts-title" className="panel-title">
        Details
      </h2>
      <dl className="facts facts-wide">
        <dt>Owner</dt>
        <dd>{directory.ownerLabel(s.ownerId)}</dd>
        {team && (
          <>
            <dt>Team</dt>
            <dd>{team}</dd>
          </>
        )}
        <dt>Kind</dt>
        <dd>
          {s.kind}
          {s.agent && (
            <>
              {' '}
              running <code>{s.agent}</code>
            </>
          )}
        </dd>
        <dt>Repository</dt>
        <dd className="wrap">
          {s.remote ?? s.repo}
          {s.hasSshKey && <span className="muted"> (with its own SSH key)</span>}
        </dd>
        <dt>Branch</dt>
        <dd>
          <code>{s.branch}</code> from <code>{s.baseBranch}</code> at <code>{s.baseCommit.slice(0, 10)}</code>
        </dd>
        <dt>Commits by</dt>
        <dd className="wrap">
          {s.gitUser.name} &lt;{s.gitUser.email}&gt;
        </dd>
        <dt>Image</dt>
        <dd className="wrap">
          {s.image}
          {s.runtime === 'gvisor' && <span className="muted"> under gVisor</span>}
        </dd>
        <dt>Limits</dt>
        <dd>
          {s.limits.cpus} CPU{s.limits.cpus === 1 ? '' : 's'}, {formatBytes(s.limits.memoryBytes)},{' '}
          {s.limits.pids} processes
        </dd>
        <dt>When idle</dt>
        <dd>
          {s.idle.timeoutSeconds === 0
            ? 'keeps running'
            : `${s.idle.action === 'stop' ? 'stopped' : 'paused'} after ${formatSeconds(s.idle.timeoutSeconds)}`}
        </dd>
        <dt>Environment</dt>
        <dd>{envNames.length > 0 ? envNames.join(', ') : 'none'}</dd>
        <dt>User in the container</dt>
        <dd>{s.user}</dd>
        <dt>Created</dt>
        <dd>
          <time dateTime={s.createdAt} title={s.createdAt}>
            {formatAgo(s.createdAt)}
          </time>
        </dd>
        <dt>Last activity</dt>
        <dd>
          <time dateTime={lastActivityOf(s)} title={lastActivityOf(s)}>
            {formatAgo(lastActivityOf(s))}
          </time>
        </dd>
        {s.containerId && (
          <>
            <dt>Container</dt>
            <dd>
              <code>{s.containerId.slice(0, 12)}</code>
            </dd>
          </>
        )}
        <dt>Id</dt>
        <dd>
          <code>{s.id}</code>
        </dd>
      </dl>
    </section>
  );
}
