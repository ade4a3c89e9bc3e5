import { useApi } from '../../api/api-context';
import type { Session } from '../../api/types';
import { useResource } from '../../api/use-resource';
import { EmptyState } from '../../components/empty-state';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import { DiffView, filesOf } from './diff-view';

/** The session's branch against its base, uncommitted work included. */
export function DiffPanel({ session }: { session: Session }) {
  const api = useApi();
  const diff = useResource(() => api.diff(session.name), [api, session.name]);
  const files = diff.status === 'ready' ? filesOf(diff.data.diff) : [];
  return (
    <section className="panel" aria-labelledby="diff-title">
      <div className="panel-head">
        <h2 id="diff-title" className="panel-title">
          Changes
        </h2>
        <button type="button" className="button button-small" onClick={() => diff.reload({ quiet: true })}>
          Refresh
        </button>
      </div>
      {diff.status === 'loading' && <Loading label="Reading the branch’s changes…" />}
      {diff.status === 'error' && (
        <ProblemMessage title="Could not read the changes" error={diff.error} onRetry={() => diff.reload()} />
      )}
      {diff.status === 'ready' && !diff.data.diff.trim() && (
        <EmptyState title="No changes yet.">
          <p>
            The branch <code>{session.branch}</code> is where it started.
          </p>
        </EmptyState>
      )}
      {diff.status === 'ready' && diff.data.diff.trim() && (
        <>
          <p className="diff-summary">
            {files.length} file{files.length === 1 ? '' : 's'} changed,{' '}
            <code>{diff.data.base.slice(0, 10)}</code>
            {' → '}
            <code>{diff.data.head.slice(0, 10)}</code>
          </p>
          <DiffView diff={diff.data.diff} />
        </>
      )}
    </section>
  );
}
