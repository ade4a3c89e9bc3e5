import type { Session } from '../../api/types';
import { formatDiffStat, useDiffStat } from '../../api/use-diff-stat';
import type { Directory } from '../../api/use-directory';
import { Link } from '../../app/navigation';
import { paths } from '../../app/routes';
import { AgentStatusBadge, AgentStatusSince, NeedsYouMark } from '../../components/agent-status-badge';
import { PreviewButton } from '../../components/preview-button';
import { SessionActions } from '../../components/session-actions';
import { StatusBadge } from '../../components/status-badge';
import { formatAge, lastActivityOf } from '../../format/age';
import { repoName } from './repo-name';

export interface SessionViewProps {
  sessions: Session[];
  directory: Directory;
  now: number;
  onChanged: (s: Session) => void;
  onRemoved: (id: string) => void;
}

export function SessionCards({ sessions, ...rest }: SessionViewProps) {
  return (
    <ul className="session-cards">
      {sessions.map((s) => (
        <SessionCard key={s.id} session={s} {...rest} />
      ))}
    </ul>
  );
}

/** An agent session leads with its task and what its agent does; every card has the facts. */
function SessionCard({
  session: s,
  directory,
  now,
  onChanged,
  onRemoved,
}: Omit<SessionViewProps, 'sessions'> & { session: Session }) {
  const team = directory.teamName(s.teamId);
  const agent = s.kind === 'agent';
  const task = agent ? (s.task ?? (s.description || null)) : null;
  const needsYou = s.agentStatus === 'needs-input';
  return (
    <li className={`card session-card status-edge-${s.status}${needsYou ? ' session-card-needs-you' : ''}`}>
      <div className="session-card-head">
        <Link to={paths.session(s.name)} className="session-name">
          {s.name}
        </Link>
        <StatusBadge status={s.status} />
      </div>
      {task && (
        <p className="session-task" title={task}>
          {task}
        </p>
      )}
      {agent && s.agentStatus && (
        <div className="agent-line">
          <AgentStatusBadge session={s} />
          <NeedsYouMark session={s} />
          <AgentStatusSince session={s} now={now} />
          <ChangeSize session={s} />
        </div>
      )}
      {s.description && s.description !== task && <p className="session-description">{s.description}</p>}
      <dl className="facts">
        <dt>Owner</dt>
        <dd>{directory.ownerLabel(s.ownerId)}</dd>
        {team && (
          <>
            <dt>Team</dt>
            <dd>{team}</dd>
          </>
        )}
        <dt>Repository</dt>
        <dd title={s.remote ?? s.repo}>{repoName(s.remote ?? s.repo)}</dd>
        <dt>Branch</dt>
        <dd>
          <code>{s.branch}</code>
        </dd>
        <dt>Age</dt>
        <dd>
          <time dateTime={s.createdAt} title={s.createdAt}>
            {formatAge(s.createdAt, now)}
          </time>
        </dd>
        <dt>Last activity</dt>
        <dd>
          <time dateTime={lastActivityOf(s)} title={lastActivityOf(s)}>
            {formatAge(lastActivityOf(s), now)}
          </time>
        </dd>
      </dl>
      {s.statusReason && <p className="session-reason">{s.statusReason}</p>}
      <PreviewButton session={s} />
      <SessionActions session={s} onChanged={onChanged} onRemoved={onRemoved} />
    </li>
  );
}

/** "+12 −3 in 2 files" once the diff is here; nothing while it loads or when it failed. */
function ChangeSize({ session }: { session: Session }) {
  const stat = useDiffStat(session);
  if (!stat) return null;
  return (
    <span className="diff-stat" title="lines added and removed on the session’s branch">
      {formatDiffStat(stat)}
    </span>
  );
}
