import { Link } from '../../app/navigation';
import { paths } from '../../app/routes';
import { AgentStatusBadge, AgentStatusSince, NeedsYouMark } from '../../components/agent-status-badge';
import { SessionActions } from '../../components/session-actions';
import { StatusBadge } from '../../components/status-badge';
import { formatAge, lastActivityOf } from '../../format/age';
import { repoName } from './repo-name';
import type { SessionViewProps } from './session-cards';

export function SessionTable({ sessions, directory, now, onChanged, onRemoved }: SessionViewProps) {
  return (
    <div className="table-scroll">
      <table className="session-table">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col">Owner</th>
            <th scope="col">Repository</th>
            <th scope="col">Branch</th>
            <th scope="col">Age</th>
            <th scope="col">Last activity</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {sessions.map((s) => {
            const task = s.kind === 'agent' ? (s.task ?? (s.description || null)) : null;
            return (
              <tr
                key={s.id}
                className={s.agentStatus === 'needs-input' ? 'session-row-needs-you' : undefined}
              >
                <th scope="row">
                  <Link to={paths.session(s.name)}>{s.name}</Link>
                  {task && (
                    <div className="session-task muted" title={task}>
                      {task}
                    </div>
                  )}
                </th>
                <td>
                  <StatusBadge status={s.status} />
                </td>
                <td>
                  {s.agentStatus ? (
                    <div className="agent-cell">
                      <AgentStatusBadge session={s} />
                      <NeedsYouMark session={s} />
                      <AgentStatusSince session={s} now={now} />
                    </div>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td>{directory.ownerLabel(s.ownerId)}</td>
                <td title={s.remote ?? s.repo}>{repoName(s.remote ?? s.repo)}</td>
                <td>
                  <code>{s.branch}</code>
                </td>
                <td>
                  <time dateTime={s.createdAt}>{formatAge(s.createdAt, now)}</time>
                </td>
                <td>
                  <time dateTime={lastActivityOf(s)}>{formatAge(lastActivityOf(s), now)}</time>
                </td>
                <td>
                  <SessionActions session={s} onChanged={onChanged} onRemoved={onRemoved} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
