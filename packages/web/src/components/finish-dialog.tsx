import { type FormEvent, useId, useState } from 'react';
import { ModalDialog } from './modal-dialog';

/** Finishing commits the session's work onto its branch: the commit needs a message. */
export function FinishDialog({
  name,
  branch,
  busy,
  onFinish,
  onCancel,
}: {
  name: string;
  branch: string;
  busy: boolean;
  onFinish: (message: string) => void;
  onCancel: () => void;
}) {
  const [message, setMessage] = useState('');
  const id = useId();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (message.trim()) onFinish(message.trim());
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
