import type { Session, Stats } from '../../api/types';
import { useStatsHistory } from '../../api/use-stats-history';
import { EmptyState } from '../../components/empty-state';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import { Sparkline } from '../../components/sparkline';
import { formatBytes } from '../../format/bytes';

/** CPU and memory of a running session, live: a sample every two seconds, the last two minutes drawn. */
export function StatsPanel({
  session,
  visible = true,
  intervalMs,
}: {
  session: Session;
  /** Polling stops while the panel is out of sight. */
  visible?: boolean;
  intervalMs?: number;
}) {
  const history = useStatsHistory(session.name, session.status === 'running' && visible, intervalMs);
  return (
    <section className="panel" aria-labelledby="stats-title">
      <h2 id="stats-title" className="panel-title">
        Resources
      </h2>
      {history.status === 'idle' && session.status !== 'running' && (
        <EmptyState title="Live CPU and memory show while the session runs." />
      )}
      {history.status === 'loading' && <Loading label="Reading CPU and memory…" />}
      {history.status === 'error' && (
        <ProblemMessage title="Could not read the stats" error={history.error} onRetry={history.retry} />
      )}
      {history.status === 'ready' && <StatsCharts samples={history.samples} cpus={session.limits.cpus} />}
    </section>
  );
}

function StatsCharts({ samples, cpus }: { samples: Stats[]; cpus: number }) {
  const last = lastOf(samples);
  const cpu = samples.map((s) => s.cpuPercent);
  const mem = samples.map((s) => s.memoryBytes);
  return (
    <div className="stats">
      <figure className="stat">
        <figcaption>
          <span className="stat-label">CPU</span>
          <span className="stat-value">{last.cpuPercent.toFixed(1)}%</span>
          <span className="stat-limit">
            of {cpus} CPU{cpus === 1 ? '' : 's'}
          </span>
        </figcaption>
        <Sparkline values={cpu} max={100 * cpus} label={`CPU use over the last ${samples.length} samples`} />
      </figure>
      <figure className="stat">
        <figcaption>
          <span className="stat-label">Memory</span>
          <span className="stat-value">{formatBytes(last.memoryBytes)}</span>
          <span className="stat-limit">of {formatBytes(last.memoryLimitBytes)}</span>
        </figcaption>
        <Sparkline
          values={mem}
          max={last.memoryLimitBytes}
          label={`Memory use over the last ${samples.length} samples`}
        />
      </figure>
      <dl className="facts facts-inline">
        <dt>Processes</dt>
        <dd>{last.pids}</dd>
        <dt>Network in</dt>
        <dd>{formatBytes(last.networkRxBytes)}</dd>
        <dt>Network out</dt>
        <dd>{formatBytes(last.networkTxBytes)}</dd>
      </dl>
    </div>
  );
}

function lastOf<T>(list: T[]): T {
  return list[list.length - 1]!;
}
