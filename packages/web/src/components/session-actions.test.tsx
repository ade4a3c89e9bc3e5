// @vitest-environment jsdom
import { SessionStatus as SessionStatusSchema } from '@berth/api/schemas';
import { SESSION_STATUSES, type SessionStatusName } from '@berth/api/session-verbs';
import { cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiProvider } from '../api/api-context';
import type { ApiClient } from '../api/client';
import type { Session, SessionStatus } from '../api/types';
import { makeSession } from '../test/sessions';
import { actionsFor, deleteDiscardsWork, SessionActions } from './session-actions';

// The suite shares its cores with engine tests: give async waits the same room the app tests get.
configure({ asyncUtilTimeout: 5_000 });
afterEach(cleanup);

// Every status the API can send has a row in the verb table, and the table no status the API lacks:
// a status added to one and not the other fails the typecheck here.
const tableCoversSchema: [Exclude<SessionStatus, SessionStatusName>] extends [never] ? true : false = true;
const schemaCoversTable: [Exclude<SessionStatusName, SessionStatus>] extends [never] ? true : false = true;

/**
 * What a person sees for each status, written out: a new status fails the test below until someone
 * says which buttons it gets, and a change to the shared verb table shows up here as a diff.
 */
const BUTTONS: Record<SessionStatus, { buttons: string[]; deleteDiscardsWork: boolean }> = {
  creating: { buttons: ['Cancel…', 'Delete…'], deleteDiscardsWork: true },
  running: {
    buttons: ['Pause', 'Stop', 'Restart', 'Finish…', 'Cancel…', 'Delete…'],
    deleteDiscardsWork: true,
  },
  paused: { buttons: ['Resume', 'Stop', 'Finish…', 'Cancel…', 'Delete…'], deleteDiscardsWork: true },
  stopped: {
    buttons: ['Start', 'Restart', 'Finish…', 'Cancel…', 'Delete…'],
    deleteDiscardsWork: true,
  },
  failed: { buttons: ['Cancel…', 'Delete…'], deleteDiscardsWork: false },
  finished: { buttons: ['Delete…'], deleteDiscardsWork: false },
  cancelled: { buttons: ['Delete…'], deleteDiscardsWork: false },
};

/** The statuses the API's schema lists, read from the schema itself. */
const schemaStatuses = (SessionStatusSchema.anyOf as { const: string }[]).map((s) => s.const);

function renderActions(session: Session) {
  const client = {
    act: vi.fn(async (_name: string, action: string) => ({ ...session, status: `after-${action}` })),
    remove: vi.fn(async () => undefined),
    finish: vi.fn(async () => session),
  };
  const onChanged = vi.fn();
  const onRemoved = vi.fn();
  render(
    <ApiProvider client={client as unknown as ApiClient}>
      <SessionActions session={session} onChanged={onChanged} onRemoved={onRemoved} />
    </ApiProvider>,
  );
  return { client, onChanged, onRemoved };
}

describe('session actions', () => {
  it('cover every status the API sends, and only those', () => {
    expect(tableCoversSchema && schemaCoversTable).toBe(true);
    expect([...SESSION_STATUSES].sort()).toEqual([...schemaStatuses].sort());
    expect(Object.keys(BUTTONS).sort()).toEqual([...SESSION_STATUSES].sort());
  });

  describe.each(SESSION_STATUSES.map((status) => [status]))('for a %s session', (status) => {
    it('are the buttons the verb table allows', () => {
      const session = makeSession({ status });
      renderActions(session);
      const buttons = within(document.querySelector('.button-row') as HTMLElement).getAllByRole('button');
      expect(buttons.map((b) => b.textContent)).toEqual(BUTTONS[status].buttons);
      for (const b of buttons)
        expect(b.getAttribute('aria-label')).toBe(`${b.textContent?.replace('…', '')} ${session.name}`);
      expect(actionsFor(status)).toHaveLength(BUTTONS[status].buttons.length);
    });

    it('delete asks first, and discards live work only from a live status', async () => {
      const session = makeSession({ status });
      const { client, onRemoved } = renderActions(session);
      expect(deleteDiscardsWork(status)).toBe(BUTTONS[status].deleteDiscardsWork);
      fireEvent.click(screen.getByRole('button', { name: `Delete ${session.name}` }));
      const dialog = screen.getByRole('dialog', { name: `Delete ${session.name}?` });
      expect(dialog.textContent?.includes('any work not finished is lost')).toBe(
        BUTTONS[status].deleteDiscardsWork,
      );
      expect(client.remove).not.toHaveBeenCalled();
      fireEvent.click(within(dialog).getByRole('button', { name: 'Delete session' }));
      await waitFor(() => expect(onRemoved).toHaveBeenCalledWith(session.id));
      expect(client.remove).toHaveBeenCalledWith(session.name, BUTTONS[status].deleteDiscardsWork);
    });

    it('a plain verb acts at once, through the API', async () => {
      const session = makeSession({ status });
      const plain = actionsFor(status).filter((a) => a !== 'finish' && a !== 'cancel' && a !== 'delete');
      for (const action of plain) {
        const { client, onChanged } = renderActions(session);
        const label = action.charAt(0).toUpperCase() + action.slice(1);
        fireEvent.click(screen.getByRole('button', { name: `${label} ${session.name}` }));
        await waitFor(() => expect(onChanged).toHaveBeenCalledTimes(1));
        expect(client.act).toHaveBeenCalledWith(session.name, action);
        cleanup();
      }
    });
  });
});
