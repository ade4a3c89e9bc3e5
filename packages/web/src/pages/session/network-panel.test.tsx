// @vitest-environment jsdom
// The server is faked at the seam: fetch answers the session and its /egress from a route table.
import { cleanup, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, pending, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const filtered = makeSession({
  name: 'net',
  status: 'running',
  egress: { mode: 'allowlist', allow: ['registry.example.org', '*.pkg.example'] },
});

const at = (s: number) => new Date(Date.now() - s * 1000).toISOString();
const decision = (
  host: string,
  port: number,
  allowed: boolean,
  reason: string,
  count: number,
  ago: number,
) => ({
  host,
  port,
  allowed,
  reason,
  count,
  firstAt: at(ago + 60),
  lastAt: at(ago),
});

const panel = async () => (await screen.findByRole('heading', { name: 'Network' })).closest('section')!;

describe('network panel', () => {
  it('says an unfiltered session is on the shared network, and asks the server nothing', async () => {
    const { server } = renderApp('/sessions/old', {
      'GET /api/v1/sessions/old': () => json(makeSession({ name: 'old', egress: null })),
    });
    const p = await panel();
    expect(p.textContent).toContain('Unfiltered');
    expect(p.textContent).toContain('shared network');
    expect(p.textContent).toContain('Make a new session');
    expect(server.calls.some((c) => c.url.endsWith('/egress'))).toBe(false);
  });

  it('shows the mode, the allow-list and the decisions, refused ones first and marked', async () => {
    renderApp('/sessions/net', {
      'GET /api/v1/sessions/net': () => json(filtered),
      'GET /api/v1/sessions/net/egress': () =>
        json({
          egress: filtered.egress,
          decisions: [
            decision('registry.example.org', 443, true, 'on the allow-list', 12, 5),
            decision('evil.example.net', 443, false, 'not on the allow-list', 3, 120),
            decision('10.0.0.1', 22, false, 'a private address', 1, 600),
          ],
        }),
    });
    const p = await panel();
    const table = await within(p).findByRole('table');
    within(p).getByText('Only the hosts on its allow-list');
    within(p).getByText('registry.example.org');
    within(p).getByText('*.pkg.example');
    within(p).getByText('3 hosts asked for, 2 refused');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows.map((r) => within(r).getAllByRole('cell')[0]!.textContent)).toEqual([
      'evil.example.net:443',
      '10.0.0.1:22',
      'registry.example.org:443',
    ]);
    expect(rows.map((r) => r.className)).toEqual(['egress-refused', 'egress-refused', '']);
    expect(rows[0]!.textContent).toContain('not on the allow-list');
    expect(rows[0]!.textContent).toContain('2 min ago');
    expect(rows[2]!.textContent).toContain('allowed');
    expect(rows[2]!.textContent).toContain('12');
  });

  it('loads, says when nothing was asked for yet, and refreshes on demand', async () => {
    const open = { ...filtered, egress: { mode: 'open' as const, allow: [] } };
    renderApp('/sessions/net', {
      'GET /api/v1/sessions/net': () => json(open),
      'GET /api/v1/sessions/net/egress': pending,
    });
    const p = await panel();
    within(p).getByText('Reading the network log…');
    expect(within(p).queryByRole('button', { name: 'Refresh' })).toBeNull();
    cleanup();

    let decisions: unknown[] = [];
    const { server } = renderApp('/sessions/net', {
      'GET /api/v1/sessions/net': () => json(open),
      'GET /api/v1/sessions/net/egress': () => json({ egress: open.egress, decisions }),
    });
    const q = await panel();
    await within(q).findByText('No connections yet.');
    within(q).getByText('Any public host');
    // An open session has no allow-list to show.
    expect(within(q).queryByText('Allow-list')).toBeNull();
    decisions = [decision('example.org', 443, true, 'a public host', 1, 1)];
    fireEvent.click(within(q).getByRole('button', { name: 'Refresh' }));
    await within(q).findByText('example.org:443');
    within(q).getByText('1 host asked for, 0 refused');
    expect(server.calls.filter((c) => c.url.endsWith('/egress'))).toHaveLength(2);
  });

  it('shows the problem when the log cannot be read, with a way to try again', async () => {
    let calls = 0;
    renderApp('/sessions/net', {
      'GET /api/v1/sessions/net': () => json(filtered),
      'GET /api/v1/sessions/net/egress': () =>
        ++calls === 1
          ? problem(503, 'engine_unavailable', 'the database does not answer')
          : json({ egress: filtered.egress, decisions: [] }),
    });
    const p = await panel();
    const alert = await within(p).findByRole('alert');
    expect(alert.textContent).toContain('Could not read the network log');
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await within(p).findByText('No connections yet.');
    expect(within(p).queryByRole('alert')).toBeNull();
  });
});
