// @vitest-environment jsdom
// The server is faked at the seam: fetch (a route table) and the events WebSocket (FakeWebSocket).
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, pending, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const list =
  (...sessions: ReturnType<typeof makeSession>[]) =>
  () =>
    json({ sessions, total: sessions.length });

describe('dashboard', () => {
  it('shows a loading state while the sessions load', async () => {
    renderApp('/', { 'GET /api/v1/sessions': pending });
    expect((await screen.findByText('Loading sessions…')).closest('[role=status]')).toBeTruthy();
  });

  it('shows the problem and its hint when the list fails, and tries again on request', async () => {
    const { server } = renderApp('/', {
      'GET /api/v1/sessions': () =>
        problem(
          503,
          'engine_unavailable',
          'the Docker Engine does not answer',
          'start Docker, then try again',
        ),
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The Docker Engine does not answer');
    expect(alert.textContent).toContain('Start Docker, then try again');
    server.route('GET /api/v1/sessions', list(makeSession()));
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await screen.findByRole('link', { name: 'fix-login' });
  });

  it('says how to start when there are no sessions', async () => {
    renderApp('/', { 'GET /api/v1/sessions': list() });
    await screen.findByText('No sessions yet');
    screen.getByText('berth new NAME --repo /path/to/repo');
    expect(screen.getAllByRole('link', { name: 'New session' }).length).toBeGreaterThan(0);
  });

  it('shows each session with its status, owner, repository, branch and age', async () => {
    renderApp('/', {
      'GET /api/v1/sessions': list(
        makeSession({ name: 'fix-login', status: 'running' }),
        makeSession({ name: 'docs', status: 'paused', repo: '/srv/wiki', ownerId: null }),
      ),
    });
    const card = (await screen.findByRole('link', { name: 'fix-login' })).closest('li')!;
    expect(within(card).getByText('running').className).toBe('status status-running');
    within(card).getByText('you');
    expect(within(card).getByText('shop').title).toBe('/home/ann/src/shop');
    within(card).getByText('berth/fix-login');
    const docs = screen.getByRole('link', { name: 'docs' }).closest('li')!;
    within(docs).getByText('host owner');
    within(docs).getByRole('button', { name: 'Resume docs' });
  });

  it('searches by name or repository, filters by status, and switches to a table', async () => {
    renderApp('/', {
      'GET /api/v1/sessions': list(
        makeSession({ name: 'fix-login' }),
        makeSession({ name: 'docs', status: 'paused', repo: '/srv/wiki' }),
      ),
    });
    await screen.findByRole('link', { name: 'fix-login' });
    fireEvent.change(screen.getByRole('searchbox'), { target: { value: 'wiki' } });
    expect(screen.queryByRole('link', { name: 'fix-login' })).toBeNull();
    screen.getByRole('link', { name: 'docs' });
    fireEvent.change(screen.getByRole('combobox', { name: 'Status' }), { target: { value: 'running' } });
    screen.getByText('No sessions match');
    fireEvent.click(screen.getByRole('button', { name: 'Clear search and filters' }));
    fireEvent.click(screen.getByRole('button', { name: 'Table' }));
    const table = screen.getByRole('table');
    expect(within(table).getAllByRole('row')).toHaveLength(3);
    expect(localStorage.getItem('berth.view')).toBe('table');
  });

  it('applies session events from the WebSocket without a reload', async () => {
    const app = renderApp('/', { 'GET /api/v1/sessions': list(makeSession({ name: 'fix-login' })) });
    await screen.findByRole('link', { name: 'fix-login' });
    const ws = app.events();
    act(() => {
      ws.open();
      ws.receive({ type: 'hello', seq: 1, version: 'test' });
    });
    await screen.findByRole('link', { name: 'fix-login' });
    const later = '2025-06-01T11:00:00.000Z';
    act(() => {
      ws.receive({
        type: 'session.created',
        seq: 2,
        session: makeSession({ name: 'new-one', updatedAt: later }),
      });
      ws.receive({
        type: 'session.status.changed',
        seq: 3,
        session: makeSession({ name: 'fix-login', status: 'paused', updatedAt: later }),
        from: 'running',
        to: 'paused',
        reason: null,
      });
    });
    screen.getByRole('link', { name: 'new-one' });
    const card = screen.getByRole('link', { name: 'fix-login' }).closest('li')!;
    within(card).getByText('paused');
    act(() => ws.receive({ type: 'session.deleted', seq: 4, id: 'id-new-one', name: 'new-one' }));
    expect(screen.queryByRole('link', { name: 'new-one' })).toBeNull();
  });

  it('pauses with the CSRF header, and asks before deleting', async () => {
    const s = makeSession({ name: 'fix-login' });
    const { server } = renderApp('/', {
      'GET /api/v1/sessions': list(s),
      'POST /api/v1/sessions/fix-login/pause': () =>
        json({ ...s, status: 'paused', updatedAt: '2025-06-01T10:05:00.000Z' }),
      'DELETE /api/v1/sessions/fix-login': () => new Response(null, { status: 204 }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Pause fix-login' }));
    await screen.findByRole('button', { name: 'Resume fix-login' });
    const pause = server.calls.find((c) => c.url.endsWith('/pause'))!;
    expect(pause.headers['x-berth-csrf']).toBe('csrf-for-tests');

    fireEvent.click(screen.getByRole('button', { name: 'Delete fix-login' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete fix-login?' });
    expect(dialog.textContent).toContain('It is paused');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Delete session' }));
    await waitFor(() => expect(screen.queryByRole('link', { name: 'fix-login' })).toBeNull());
    expect(server.calls.at(-1)).toMatchObject({
      method: 'DELETE',
      url: '/api/v1/sessions/fix-login?force=true',
    });
  });

  it('asks for a commit message to finish, and shows a refused action with its hint', async () => {
    const s = makeSession({ name: 'fix-login' });
    const { server } = renderApp('/', {
      'GET /api/v1/sessions': list(s),
      'POST /api/v1/sessions/fix-login/finish': () =>
        problem(
          409,
          'illegal_transition',
          "cannot finish session 'fix-login': it is paused",
          'resume it with `berth resume fix-login`',
        ),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Finish fix-login' }));
    const dialog = screen.getByRole('dialog', { name: 'Finish fix-login' });
    const submit = within(dialog).getByRole('button', { name: 'Finish' });
    expect((submit as HTMLButtonElement).disabled).toBe(true);
    fireEvent.change(within(dialog).getByLabelText('Commit message'), { target: { value: 'Fix the login' } });
    fireEvent.click(submit);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain("Cannot finish session 'fix-login': it is paused");
    expect(within(alert).getByText('berth resume fix-login').tagName).toBe('CODE');
    expect(server.calls.find((c) => c.url.endsWith('/finish'))?.body).toEqual({ message: 'Fix the login' });
  });
});
