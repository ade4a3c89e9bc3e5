import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useApi } from '../../api/api-context';
import type { Session } from '../../api/types';
import { useLogFollow } from '../../api/use-log-follow';
import { EmptyState } from '../../components/empty-state';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import { ChoiceField, SearchField } from '../../components/toolbar-fields';
import { HighlightedText } from './highlighted-text';
import { DEFAULT_LOG_FILTER, filterLogLines, type LogFilter } from './log-filter';

/** The container's output, live, with search, stream and level filters, and the whole log to download. */
export function LogsPanel({ session }: { session: Session }) {
  const api = useApi();
  const follow = useLogFollow(session.name);
  const [filter, setFilter] = useState<LogFilter>(DEFAULT_LOG_FILTER);
  const lines = follow.status === 'ready' ? follow.lines : null;
  const shown = useMemo(() => (lines ? filterLogLines(lines, filter) : []), [lines, filter]);
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);

  // New lines keep the view at the bottom, unless the reader scrolled up to read.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs when the shown lines change.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && pinned.current) el.scrollTop = el.scrollHeight;
  }, [shown]);

  return (
    <section className="panel" aria-labelledby="logs-title">
      <div className="panel-head">
        <h2 id="logs-title" className="panel-title">
          Logs
        </h2>
        <a className="button button-small" href={api.logsDownloadUrl(session.name)} download>
          Download
        </a>
      </div>
      <search className="toolbar">
        <SearchField value={filter.search} onChange={(search) => setFilter({ ...filter, search })} />
        <ChoiceField
          label="Stream"
          value={filter.stream}
          options={[
            ['all', 'stdout and stderr'],
            ['stdout', 'stdout'],
            ['stderr', 'stderr'],
          ]}
          onChange={(stream) => setFilter({ ...filter, stream })}
        />
        <ChoiceField
          label="Level"
          value={filter.level}
          options={[
            ['any', 'Any'],
            ['error', 'Errors'],
            ['warn', 'Warnings'],
            ['info', 'Info'],
            ['debug', 'Debug'],
          ]}
          onChange={(level) => setFilter({ ...filter, level })}
        />
      </search>
      {follow.status === 'loading' && <Loading label="Following the logs…" />}
      {follow.status === 'error' && <ProblemMessage title="Could not follow the logs" error={follow.error} />}
      {follow.status === 'ready' && follow.lines.length === 0 && (
        <EmptyState title="No output yet.">
          <p>What the session's container prints shows here as it comes.</p>
        </EmptyState>
      )}
      {follow.status === 'ready' && follow.lines.length > 0 && (
        <>
          {follow.dropped > 0 && (
            <p className="notice">
              {follow.dropped} older lines are no longer shown: download the log for all of it.
            </p>
          )}
          <div
            ref={box}
            className="log-lines"
            role="log"
            aria-label={`Output of ${session.name}`}
            // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must take focus to scroll by keyboard.
            tabIndex={0}
            onScroll={(e) => {
              const el = e.currentTarget;
              pinned.current = el.scrollTop + el.clientHeight >= el.scrollHeight - 24;
            }}
          >
            {shown.map((l) => (
              <div key={l.n} className={`log-line log-${l.stream}`}>
                <HighlightedText text={l.text} needle={filter.search} />
              </div>
            ))}
            {shown.length === 0 && <p className="log-none">No line matches.</p>}
          </div>
        </>
      )}
      {follow.status === 'ready' && follow.ended && <p className="notice">{follow.ended}</p>}
    </section>
  );
}
