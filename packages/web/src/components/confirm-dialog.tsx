import type { ReactNode } from 'react';
import { ModalDialog } from './modal-dialog';

/** Asks before something that cannot be undone. */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
}: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <ModalDialog title={title} onClose={onCancel}>
      <div className="modal-body">{children}</div>
      <div className="modal-actions">
        <button type="button" className="button" onClick={onCancel}>
          Keep it
        </button>
        <button type="button" className="button button-danger" onClick={onConfirm} disabled={busy}>
          {busy ? 'Working…' : confirmLabel}
        </button>
      </div>
    </ModalDialog>
  );
}
