import type { Session } from '../../api/types';
import type { Directory } from '../../api/use-directory';
import { Link } from '../../app/navigation';
import { paths } from '../../app/routes';
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

export function SessionCards({ sessions, directory, now, onChanged, onRemoved }: SessionViewProps) {
  return (
    <ul className="session-cards">
      {sessions.map((s) => {
        const team = directory.teamName(s.teamId);
        return (
          <li key={s.id} className={`card session-card status-edge-${s.status}`}>
            <div className="session-card-head">
              <Link to={paths.session(s.name)} className="session-name">
                {s.name}
              </Link>
              <StatusBadge status={s.status} />
            </div>
            {s.description && <p className="session-description">{s.description}</p>}
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
            <SessionActions session={s} onChanged={onChanged} onRemoved={onRemoved} />
          </li>
        );
      })}
    </ul>
  );
}
