// @vitest-environment jsdom
// The server is faked at the seam: fetch (a route table) and the events WebSocket (FakeWebSocket).
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, pending, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const stopped = makeSession({ name: 'fix-login', status: 'stopped', env: { DEBUG: '1', TOKEN: 'secret' } });

describe('session page', () => {
  it('shows a loading state while the session loads', async () => {
    renderApp('/sessions/fix-login', { 'GET /api/v1/sessions/fix-login': pending });
    await screen.findByText('Loading fix-login…');
  });

  it('says so when there is no such session', async () => {
    renderApp('/sessions/nope', {
      'GET /api/v1/sessions/nope': () => problem(404, 'not_found', "no session named 'nope'"),
    });
    await screen.findByText('There is no session named nope.');
    screen.getByRole('link', { name: 'Back to the sessions' });
  });

  it('shows any other failure with a way to try again', async () => {
    renderApp('/sessions/fix-login', {
      'GET /api/v1/sessions/fix-login': () =>
        problem(503, 'engine_unavailable', 'the Docker Engine does not answer'),
    });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Could not load fix-login');
    within(alert).getByRole('button', { name: 'Try again' });
  });

  it('shows what the session is, with the actions its status allows, and env names but not values', async () => {
    renderApp('/sessions/fix-login', { 'GET /api/v1/sessions/fix-login': () => json(stopped) });
    await screen.findByRole('heading', { name: 'fix-login', level: 1 });
    screen.getByText('/home/ann/src/shop');
    screen.getByText('DEBUG, TOKEN');
    expect(screen.queryByText(/secret/)).toBeNull();
    screen.getByRole('button', { name: 'Start fix-login' });
    expect(screen.queryByRole('button', { name: 'Pause fix-login' })).toBeNull();
    screen.getByText('Live CPU and memory show while the session runs.');
  });

  it('follows status changes and deletion live', async () => {
    const app = renderApp('/sessions/fix-login', { 'GET /api/v1/sessions/fix-login': () => json(stopped) });
    await screen.findByRole('heading', { name: 'fix-login', level: 1 });
    const ws = app.events();
    act(() => {
      ws.open();
      ws.receive({ type: 'hello', seq: 1, version: 'test' });
    });
    await screen.findByRole('heading', { name: 'fix-login', level: 1 });
    act(() =>
      ws.receive({
        type: 'session.updated',
        seq: 2,
        session: { ...stopped, status: 'paused', updatedAt: '2025-06-01T11:00:00.000Z' },
      }),
    );
    screen.getByRole('button', { name: 'Resume fix-login' });
    act(() => ws.receive({ type: 'session.deleted', seq: 3, id: stopped.id, name: stopped.name }));
    screen.getByText(/This session was deleted/);
  });

  it('moves between its views with the keyboard', async () => {
    renderApp('/sessions/fix-login', { 'GET /api/v1/sessions/fix-login': () => json(stopped) });
    const overview = await screen.findByRole('tab', { name: 'Overview' });
    fireEvent.keyDown(overview, { key: 'ArrowRight' });
    const terminal = screen.getByRole('tab', { name: 'Terminal' });
    expect(terminal.getAttribute('aria-selected')).toBe('true');
    expect(document.activeElement).toBe(terminal);
    expect(location.hash).toBe('#terminal');
    screen.getByText('A shell opens while the session runs.');
    screen.getByText('Start the session to open it.');
  });
});
