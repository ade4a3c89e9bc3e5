import { verbEffect, verbsFor } from '@berth/api/session-verbs';
import { useState } from 'react';
import { useApi } from '../api/api-context';
import type { Session, SessionAction, SessionStatus } from '../api/types';
import { ConfirmDialog } from './confirm-dialog';
import { FinishDialog, type FinishOptions } from './finish-dialog';
import { ProblemMessage } from './problem-message';

type Action = SessionAction | 'finish' | 'delete';

/** The buttons a status offers: the API's verb table (what core enforces), remove shown as delete. */
export function actionsFor(status: SessionStatus): Action[] {
  return verbsFor(status).map((v) => (v === 'remove' ? 'delete' : v));
}

const LABELS: Record<Action, string> = {
  pause: 'Pause',
  resume: 'Resume',
  stop: 'Stop',
  start: 'Start',
  restart: 'Restart',
  cancel: 'Cancel…',
  finish: 'Finish…',
  delete: 'Delete…',
};

/** Whether deleting discards live work (container, working copy): the table's `force` for remove. */
export function deleteDiscardsWork(status: SessionStatus): boolean {
  return verbEffect('remove', status) === 'force';
}

/** A session's actions, each asking first where it cannot be undone. */
export function SessionActions({
  session,
  onChanged,
  onRemoved,
}: {
  session: Session;
  onChanged: (s: Session) => void;
  onRemoved: (id: string) => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState<Action | null>(null);
  const [asking, setAsking] = useState<'finish' | 'cancel' | 'delete' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const name = session.name;

  const run = async (action: Action, work: () => Promise<void>) => {
    setBusy(action);
    setError(null);
    try {
      await work();
      setAsking(null);
    } catch (err) {
      setError(err);
      setAsking(null);
    } finally {
      setBusy(null);
    }
  };

  const act = (action: SessionAction) => run(action, async () => onChanged(await api.act(name, action)));
  const finish = (message: string, opts: FinishOptions) =>
    run('finish', async () => onChanged(await api.finish(name, message, opts)));
  const remove = () =>
    run('delete', async () => {
      await api.remove(name, deleteDiscardsWork(session.status));
      onRemoved(session.id);
    });

  const click = (action: Action) => {
    if (action === 'finish' || action === 'cancel' || action === 'delete') setAsking(action);
    else void act(action);
  };

  return (
    <div className="session-actions">
      <div className="button-row">
        {actionsFor(session.status).map((action) => (
          <button
            key={action}
            type="button"
            className={`button button-small${action === 'delete' || action === 'cancel' ? ' button-danger-quiet' : ''}`}
            disabled={busy !== null}
            aria-label={`${LABELS[action].replace('…', '')} ${name}`}
            onClick={() => click(action)}
          >
            {busy === action ? 'Working…' : LABELS[action]}
          </button>
        ))}
      </div>
      {error !== null && <ProblemMessage error={error} />}
      {asking === 'finish' && (
        <FinishDialog
          name={name}
          branch={session.branch}
          baseBranch={session.baseBranch}
          remote={session.remote}
          busy={busy === 'finish'}
          onFinish={finish}
          onCancel={() => setAsking(null)}
        />
      )}
      {asking === 'cancel' && (
        <ConfirmDialog
          title={`Cancel ${name}?`}
          confirmLabel="Cancel session"
          busy={busy === 'cancel'}
          onConfirm={() => void act('cancel')}
          onCancel={() => setAsking(null)}
        >
          Its container, working copy and branch <code>{session.branch}</code> are removed. Work not finished
          is lost.
        </ConfirmDialog>
      )}
      {asking === 'delete' && (
        <ConfirmDialog
          title={`Delete ${name}?`}
          confirmLabel="Delete session"
          busy={busy === 'delete'}
          onConfirm={() => void remove()}
          onCancel={() => setAsking(null)}
        >
          {deleteDiscardsWork(session.status)
            ? `It is ${session.status}: deleting it removes its container, working copy and branch, and any work not finished is lost.`
            : session.status === 'finished'
              ? `Its record is removed from berth; the branch ${session.branch} stays in the repository.`
              : 'Its record is removed from berth.'}
        </ConfirmDialog>
      )}
    </div>
  );
}
