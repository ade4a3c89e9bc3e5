// @vitest-environment jsdom
// The server is faked at the seam: fetch answers from a route table.
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, pending, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { ADMIN } from '../../test/sessions';

const signIn = (user = 'ann', password = 'correct horse') => {
  fireEvent.change(screen.getByLabelText('Username'), { target: { value: user } });
  fireEvent.change(screen.getByLabelText('Password'), { target: { value: password } });
  fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
};

describe('login', () => {
  it('shows a loading state while it asks the server who is signed in', async () => {
    renderApp('/', { 'GET /api/v1/auth/me': pending });
    await screen.findByText('Connecting to berth…');
  });

  it('sends a signed-out visitor to the login form, remembering where they were going', async () => {
    renderApp('/sessions/fix-login', {}, { signedIn: false });
    await screen.findByRole('heading', { name: 'Sign in to berth' });
    expect(location.pathname + location.search).toBe('/login?next=%2Fsessions%2Ffix-login');
  });

  it('shows the server’s refusal with its hint, and keeps the form', async () => {
    renderApp(
      '/login',
      {
        'POST /api/v1/auth/login': () =>
          problem(
            429,
            'rate_limited',
            'too many failed logins in the last minute',
            'wait a minute, then try again',
          ),
      },
      { signedIn: false },
    );
    await screen.findByRole('heading', { name: 'Sign in to berth' });
    signIn();
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Too many failed logins in the last minute');
    expect(alert.textContent).toContain('Wait a minute, then try again');
    screen.getByRole('button', { name: 'Sign in' });
  });

  it('says it is working while the login is checked', async () => {
    renderApp('/login', { 'POST /api/v1/auth/login': pending }, { signedIn: false });
    await screen.findByRole('heading', { name: 'Sign in to berth' });
    signIn();
    const button = await screen.findByRole('button', { name: 'Signing in…' });
    expect((button as HTMLButtonElement).disabled).toBe(true);
  });

  it('signs in, keeps the CSRF token for later changes, and opens the page asked for', async () => {
    const { server } = renderApp(
      '/login?next=%2Fnew',
      {
        'POST /api/v1/auth/login': () => json({ user: ADMIN, csrfToken: 'fresh-token' }),
        'GET /api/v1/config': pending,
      },
      { signedIn: false },
    );
    await screen.findByRole('heading', { name: 'Sign in to berth' });
    signIn();
    await screen.findByRole('heading', { name: 'New session' });
    expect(location.pathname).toBe('/new');
    expect(server.calls.find((c) => c.url.endsWith('/auth/login'))?.body).toEqual({
      username: 'ann',
      password: 'correct horse',
    });
    screen.getByText('ann');
  });

  it('never follows a next address to another site', async () => {
    renderApp(
      '/login?next=%2F%2Fevil.example',
      {
        'POST /api/v1/auth/login': () => json({ user: ADMIN, csrfToken: 't' }),
        'GET /api/v1/sessions': pending,
      },
      { signedIn: false },
    );
    await screen.findByRole('heading', { name: 'Sign in to berth' });
    signIn();
    await waitFor(() => expect(location.pathname).toBe('/'));
  });

  it('signs out with the CSRF header and returns to the form', async () => {
    const { server } = renderApp('/', {
      'GET /api/v1/sessions': () => json({ sessions: [], total: 0 }),
      'POST /api/v1/auth/logout': () => new Response(null, { status: 204 }),
    });
    fireEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    await screen.findByRole('heading', { name: 'Sign in to berth' });
    expect(server.calls.find((c) => c.url.endsWith('/auth/logout'))?.headers['x-berth-csrf']).toBe(
      'csrf-for-tests',
    );
  });

  it('asks to sign in again when the server says the login ended', async () => {
    renderApp('/', {
      'GET /api/v1/sessions': () => problem(401, 'unauthorized', 'your login has ended', 'log in again'),
    });
    await screen.findByText('Your login has ended. Sign in again to go on.');
  });

  it('shows the server as unreachable, not as signed out, when it does not answer', async () => {
    renderApp('/', { 'GET /api/v1/auth/me': () => Promise.reject(new TypeError('Failed to fetch')) });
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('berth is not answering');
    expect(alert.textContent).toContain('The berth server did not answer');
  });
});
