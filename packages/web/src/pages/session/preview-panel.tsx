import { useState } from 'react';
import { useApi } from '../../api/api-context';
import type { Session } from '../../api/types';
import { openPreview } from '../../components/open-preview';
import { ProblemMessage } from '../../components/problem-message';

/**
 * The session's dev server: what runs, whether it answers, and links to it. "Open preview" opens
 * it through a single-use ticket on its own origin (see openPreview).
 */
export function PreviewPanel({ session, onChanged }: { session: Session; onChanged: (s: Session) => void }) {
  const api = useApi();
  const [busy, setBusy] = useState<'open' | 'start' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const p = session.preview;
  const live = session.status === 'running';

  const open = async () => {
    setError(null);
    setBusy('open');
    try {
      await openPreview(api, session.name);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const start = async () => {
    setError(null);
    setBusy('start');
    try {
      onChanged(await api.startPreview(session.name));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className="panel" aria-labelledby="preview-title">
      <div className="panel-head">
        <h2 id="preview-title" className="panel-title">
          Preview
        </h2>
        {live && (
          <button type="button" className="button button-small" onClick={start} disabled={busy !== null}>
            {busy === 'start' ? 'Starting…' : p ? 'Restart dev server' : 'Start a preview'}
          </button>
        )}
      </div>
      {error !== null && <ProblemMessage title="The preview did not open" error={error} />}
      {!p ? (
        <p className="muted">
          No dev server runs in this session.{' '}
          {live ? 'Start one: berth finds the project’s kind and its port.' : 'Start the session first.'}
        </p>
      ) : (
        <>
          <dl className="facts">
            <dt>Project</dt>
            <dd>{p.projectType}</dd>
            <dt>Command</dt>
            <dd className="wrap">
              <code>{p.command.join(' ')}</code>
            </dd>
            <dt>State</dt>
            <dd>
              {!live
                ? `not served while ${session.status}`
                : p.ready === false
                  ? 'not answering'
                  : 'answering'}
            </dd>
            {p.hostPort !== null && (
              <>
                <dt>On the server’s machine</dt>
                <dd>
                  <a href={`http://127.0.0.1:${p.hostPort}/`} target="_blank" rel="noopener noreferrer">
                    127.0.0.1:{p.hostPort}
                  </a>
                </dd>
              </>
            )}
          </dl>
          {live && (
            <div className="button-row">
              <button type="button" className="button button-primary" onClick={open} disabled={busy !== null}>
                {busy === 'open' ? 'Opening…' : 'Open preview'}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
