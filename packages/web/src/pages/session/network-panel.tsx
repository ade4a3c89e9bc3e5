import { useApi } from '../../api/api-context';
import type { EgressReport, Session } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import { formatAgo } from '../../format/age';

type Decision = EgressReport['decisions'][number];
type Egress = NonNullable<Session['egress']>;

const MODE_MEANS: Record<Egress['mode'], string> = {
  allowlist: 'Only the hosts on its allow-list',
  open: 'Any public host',
  none: 'Nothing outside the session',
};

/** `example.org:443`, `[::1]:80`; the overflow line (port 0) is its name alone. */
const target = (d: Decision) =>
  d.port === 0 ? d.host : d.host.includes(':') ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`;

/** Refused first, then allowed; each the most recently seen first, as the server sends them. */
const refusedFirst = (ds: Decision[]) => [...ds.filter((d) => !d.allowed), ...ds.filter((d) => d.allowed)];

/**
 * What the session may reach outside itself and what berth's egress proxy allowed and refused.
 * A session made before egress filtering has no policy: nothing to ask the server.
 */
export function NetworkPanel({ session }: { session: Session }) {
  return (
    <section className="panel" aria-labelledby="network-title">
      <h2 id="network-title" className="panel-title">
        Network
      </h2>
      {session.egress ? (
        <EgressView name={session.name} />
      ) : (
        <p className="muted">
          Unfiltered: this session was made before berth filtered egress and is on the shared network, where
          it reaches whatever this machine reaches. Make a new session to have its connections filtered.
        </p>
      )}
    </section>
  );
}

function EgressView({ name }: { name: string }) {
  const api = useApi();
  const report = useResource(() => api.egress(name), [name]);
  if (report.status === 'loading') return <Loading label="Reading the network log…" />;
  if (report.status === 'error') {
    return (
      <ProblemMessage
        title="Could not read the network log"
        error={report.error}
        onRetry={() => report.reload()}
      />
    );
  }
  const { egress, decisions } = report.data;
  const refused = decisions.filter((d) => !d.allowed).length;
  return (
    <>
      {egress && (
        <dl className="facts">
          <dt>Reaches</dt>
          <dd>
            {MODE_MEANS[egress.mode]} <span className="muted">(never this machine or its LAN)</span>
          </dd>
          {egress.mode === 'allowlist' && (
            <>
              <dt>Allow-list</dt>
              <dd className="wrap">
                {egress.allow.length === 0 ? (
                  <span className="muted">empty</span>
                ) : (
                  <ul className="egress-allow">
                    {egress.allow.map((a) => (
                      <li key={a}>
                        <code>{a}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </dd>
            </>
          )}
        </dl>
      )}
      <div className="panel-head">
        <p className="muted">
          {decisions.length === 0
            ? 'No connections yet.'
            : `${decisions.length} host${decisions.length === 1 ? '' : 's'} asked for, ${refused} refused`}
        </p>
        <button type="button" className="button button-small" onClick={() => report.reload({ quiet: true })}>
          Refresh
        </button>
      </div>
      {decisions.length > 0 && (
        <div className="egress-log">
          <table className="egress-table">
            <thead>
              <tr>
                <th scope="col">Host</th>
                <th scope="col">Decision</th>
                <th scope="col">Reason</th>
                <th scope="col">Count</th>
                <th scope="col">Last seen</th>
              </tr>
            </thead>
            <tbody>
              {refusedFirst(decisions).map((d) => (
                <tr
                  key={`${d.host} ${d.port} ${d.allowed}`}
                  className={d.allowed ? undefined : 'egress-refused'}
                >
                  <td className="wrap">
                    <code>{target(d)}</code>
                  </td>
                  <td>{d.allowed ? 'allowed' : 'refused'}</td>
                  <td className="wrap">{d.reason}</td>
                  <td className="num">{d.count}</td>
                  <td title={d.lastAt}>{formatAgo(d.lastAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
