// @vitest-environment jsdom
// The server is faked at the seam: fetch (a route table) and the events WebSocket (FakeWebSocket),
// which carries the log lines.
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json } from '../../test/fake-fetch';
import { FakeWebSocket } from '../../test/fake-web-socket';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const session = makeSession({ name: 'fix-login' });
const ref = { id: session.id, name: session.name };

async function openLogs(): Promise<{ ws: FakeWebSocket; panel: HTMLElement }> {
  const app = renderApp('/sessions/fix-login#logs', {
    'GET /api/v1/sessions/fix-login': () => json(session),
  });
  const panel = (await screen.findByRole('heading', { name: 'Logs' })).closest('section')!;
  const ws = app.events();
  act(() => {
    ws.open();
    ws.receive({ type: 'hello', seq: 1, version: 'test' });
  });
  return { ws, panel };
}

const subscribeId = (ws: FakeWebSocket) =>
  (ws.sentJson().find((m) => (m as { type: string }).type === 'subscribe.logs') as { id: number }).id;

describe('logs panel', () => {
  it('shows a loading state until the server follows the logs', async () => {
    const { ws, panel } = await openLogs();
    within(panel).getByText('Following the logs…');
    expect(ws.sentJson()).toContainEqual({
      type: 'subscribe.logs',
      session: 'fix-login',
      tail: 500,
      id: expect.any(Number),
    });
  });

  it('says when there is no output yet', async () => {
    const { ws, panel } = await openLogs();
    act(() =>
      ws.receive({ type: 'ack', seq: 2, request: 'subscribe.logs', session: ref, id: subscribeId(ws) }),
    );
    within(panel).getByText('No output yet.');
  });

  it('shows the problem when the logs cannot be followed', async () => {
    const { ws, panel } = await openLogs();
    act(() =>
      ws.receive({
        type: 'error',
        seq: 2,
        id: subscribeId(ws),
        problem: {
          type: 'x',
          title: 'Limit',
          status: 429,
          code: 'limit_reached',
          detail: 'this client already follows the logs of 8 sessions',
          hint: 'unsubscribe.logs from one first',
        },
      }),
    );
    expect(within(panel).getByRole('alert').textContent).toContain('Could not follow the logs');
  });

  it('shows lines live, filters by text, stream and level, and links the download', async () => {
    const { ws, panel } = await openLogs();
    act(() => {
      ws.receive({
        type: 'logs.stream',
        seq: 2,
        session: ref,
        stream: 'stdout',
        lines: ['server listening', 'INFO ready'],
      });
      ws.receive({
        type: 'logs.stream',
        seq: 3,
        session: ref,
        stream: 'stderr',
        lines: ['ERROR database down'],
      });
    });
    const log = within(panel).getByRole('log');
    expect(within(log).getAllByText(/./)).toHaveLength(3);
    expect(within(log).getByText('ERROR database down').className).toContain('log-stderr');

    fireEvent.change(within(panel).getByRole('searchbox'), { target: { value: 'ready' } });
    expect(log.textContent).toBe('INFO ready');
    expect(within(log).getByText('ready').tagName).toBe('MARK');
    fireEvent.change(within(panel).getByRole('searchbox'), { target: { value: '' } });
    fireEvent.change(within(panel).getByRole('combobox', { name: 'Stream' }), {
      target: { value: 'stderr' },
    });
    expect(log.textContent).toBe('ERROR database down');
    fireEvent.change(within(panel).getByRole('combobox', { name: 'Stream' }), { target: { value: 'all' } });
    fireEvent.change(within(panel).getByRole('combobox', { name: 'Level' }), { target: { value: 'info' } });
    expect(log.textContent).toBe('INFO ready');

    expect(within(panel).getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(
      '/api/v1/sessions/fix-login/logs?download=true',
    );
  });

  it('starts over on a new connection, which sends the tail again', async () => {
    const { ws, panel } = await openLogs();
    act(() => ws.receive({ type: 'logs.stream', seq: 2, session: ref, stream: 'stdout', lines: ['one'] }));
    within(panel).getByText('one');
    act(() => ws.close(1006));
    // The stream retries after its backoff (5 ms in tests).
    const next = await waitFor(() => {
      const last = FakeWebSocket.latest();
      if (last === ws) throw new Error('no new connection yet');
      return last;
    });
    act(() => {
      next.open();
      next.receive({ type: 'hello', seq: 1, version: 'test' });
    });
    within(panel).getByText('Following the logs…');
    expect(next.sentJson()).toContainEqual(
      expect.objectContaining({ type: 'subscribe.logs', session: 'fix-login' }),
    );
  });
});
