// @vitest-environment jsdom
// The server is faked at the seam: fetch answers the session and preview routes from a table.
import { fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const PREVIEW = {
  projectType: 'vite',
  command: ['npx', 'vite', '--host', '0.0.0.0'],
  containerPort: 5173,
  hostPort: 5004,
  ready: true,
};

const panelOf = async () => (await screen.findByRole('heading', { name: 'Preview' })).closest('section')!;

afterEach(() => vi.restoreAllMocks());

describe('preview panel', () => {
  it('opens the preview through a single-use ticket in a tab with no way back to the dashboard', async () => {
    const tab = { opener: {} as unknown, location: { href: 'about:blank' }, close: vi.fn() };
    const windowOpen = vi.spyOn(window, 'open').mockReturnValue(tab as unknown as Window);
    const session = makeSession({ name: 'shop', kind: 'preview', preview: PREVIEW });
    const { server } = renderApp('/sessions/shop', {
      'GET /api/v1/sessions/shop': () => json(session),
      'POST /api/v1/sessions/shop/preview/ticket': () =>
        json({
          url: 'http://shop.preview.localhost:7070/__berth/preview-auth?ticket=t1',
          origin: 'http://shop.preview.localhost:7070',
          expiresAt: '2025-06-01T10:01:00.000Z',
        }),
    });
    const panel = await panelOf();
    within(panel).getByText('vite');
    within(panel).getByText('answering');
    expect(within(panel).getByRole('link', { name: '127.0.0.1:5004' }).getAttribute('href')).toBe(
      'http://127.0.0.1:5004/',
    );
    fireEvent.click(within(panel).getByRole('button', { name: 'Open preview' }));
    await vi.waitFor(() =>
      expect(tab.location.href).toBe('http://shop.preview.localhost:7070/__berth/preview-auth?ticket=t1'),
    );
    expect(windowOpen).toHaveBeenCalledWith('about:blank', '_blank');
    expect(tab.opener).toBeNull();
    expect(server.calls.filter((c) => c.url.endsWith('/preview/ticket'))).toHaveLength(1);
  });

  it('closes the blank tab and shows why when no ticket is given', async () => {
    const tab = { opener: null, location: { href: 'about:blank' }, close: vi.fn() };
    vi.spyOn(window, 'open').mockReturnValue(tab as unknown as Window);
    renderApp('/sessions/shop', {
      'GET /api/v1/sessions/shop': () => json(makeSession({ name: 'shop', preview: PREVIEW })),
      'POST /api/v1/sessions/shop/preview/ticket': () =>
        problem(503, 'engine_unavailable', 'the Docker Engine does not answer'),
    });
    const panel = await panelOf();
    fireEvent.click(within(panel).getByRole('button', { name: 'Open preview' }));
    expect((await within(panel).findByRole('alert')).textContent).toContain('The preview did not open');
    expect(tab.close).toHaveBeenCalled();
  });

  it('starts a dev server in a session that has none, and shows it', async () => {
    const session = makeSession({ name: 'shop', preview: null });
    renderApp('/sessions/shop', {
      'GET /api/v1/sessions/shop': () => json(session),
      'POST /api/v1/sessions/shop/preview': () => json({ ...session, preview: PREVIEW }),
    });
    const panel = await panelOf();
    within(panel).getByText(/No dev server runs in this session/);
    fireEvent.click(within(panel).getByRole('button', { name: 'Start a preview' }));
    await within(panel).findByText('vite');
    within(panel).getByRole('button', { name: 'Restart dev server' });
  });

  it('offers nothing to open while the session is paused', async () => {
    renderApp('/sessions/shop', {
      'GET /api/v1/sessions/shop': () =>
        json(makeSession({ name: 'shop', status: 'paused', preview: PREVIEW })),
    });
    const panel = await panelOf();
    within(panel).getByText('not served while paused');
    expect(within(panel).queryByRole('button')).toBeNull();
  });
});
