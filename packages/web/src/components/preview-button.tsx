import { useState } from 'react';
import { useApi } from '../api/api-context';
import type { Session } from '../api/types';
import { openPreview } from './open-preview';
import { ProblemMessage } from './problem-message';

/** "Open preview" for a running session with a dev server; nothing otherwise. */
export function PreviewButton({ session }: { session: Session }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (!session.preview || session.status !== 'running') return null;
  const open = async () => {
    setError(null);
    setBusy(true);
    try {
      await openPreview(api, session.name);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="button-row">
      <button
        type="button"
        className="button button-small"
        disabled={busy}
        aria-label={`Open preview of ${session.name}`}
        onClick={() => void open()}
      >
        {busy ? 'Opening…' : 'Open preview'}
      </button>
      {error !== null && <ProblemMessage title="The preview did not open" error={error} />}
    </div>
  );
}
