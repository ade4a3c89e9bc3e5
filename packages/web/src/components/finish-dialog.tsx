import { type FormEvent, useId, useState } from 'react';
import { ModalDialog } from './modal-dialog';

export interface FinishOptions {
  push?: boolean;
  merge?: boolean;
}

/** Finishing commits the session's work onto its branch: the commit needs a message. */
export function FinishDialog({
  name,
  branch,
  baseBranch,
  remote,
  busy,
  onFinish,
  onCancel,
}: {
  name: string;
  branch: string;
  baseBranch: string;
  /** The session's remote, when it was made from one: then its branch can be pushed. */
  remote: string | null;
  busy: boolean;
  onFinish: (message: string, opts: FinishOptions) => void;
  onCancel: () => void;
}) {
  const [message, setMessage] = useState('');
  const [push, setPush] = useState(false);
  const [merge, setMerge] = useState(false);
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (message.trim()) onFinish(message.trim(), { ...(push ? { push } : {}), ...(merge ? { merge } : {}) });
  };
  return (
    <ModalDialog title={`Finish ${name}`} onClose={onCancel}>
      <form onSubmit={submit}>
        <p className="modal-body">
          All changes are committed onto the branch <code>{branch}</code> and the session ends.
        </p>
        <label className="field-label" htmlFor={id}>
          Commit message
        </label>
        <textarea
          id={id}
          className="input"
          rows={3}
          required
          value={message}
          onChange={(e) => setMessage(e.target.value)}
        />
        <label className="check">
          <input type="checkbox" checked={merge} onChange={(e) => setMerge(e.target.checked)} />
          Merge into <code>{baseBranch}</code> too (refused on a conflict, naming the files)
        </label>
        {remote && (
          <label className="check">
            <input type="checkbox" checked={push} onChange={(e) => setPush(e.target.checked)} />
            Push to <span className="wrap">{remote}</span>
          </label>
        )}
        {remote && merge && !push && (
          <p className="field-help">A merge on a remote repository is pushed with it: tick Push as well.</p>
        )}
        <div className="modal-actions">
          <button type="button" className="button" onClick={onCancel}>
            Not now
          </button>
          <button type="submit" className="button button-primary" disabled={busy || !message.trim()}>
            {busy ? 'Finishing…' : 'Finish'}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
