// @vitest-environment jsdom
// The server is faked at the seam: fetch answers /stats from a route table.
import { screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { json, pending, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const running = makeSession({ name: 'fix-login', status: 'running' });
const sample = (cpuPercent: number, memoryBytes: number) => ({
  cpuPercent,
  memoryBytes,
  memoryLimitBytes: 2 * 1024 ** 3,
  networkRxBytes: 2048,
  networkTxBytes: 1024,
  pids: 7,
});

const panel = async () => (await screen.findByRole('heading', { name: 'Resources' })).closest('section')!;

describe('stats panel', () => {
  it('shows a loading state until the first sample', async () => {
    renderApp('/sessions/fix-login', {
      'GET /api/v1/sessions/fix-login': () => json(running),
      'GET /api/v1/sessions/fix-login/stats': pending,
    });
    within(await panel()).getByText('Reading CPU and memory…');
  });

  it('is empty, and asks nothing of the server, while the session does not run', async () => {
    const { server } = renderApp('/sessions/fix-login', {
      'GET /api/v1/sessions/fix-login': () => json({ ...running, status: 'paused' }),
    });
    within(await panel()).getByText('Live CPU and memory show while the session runs.');
    expect(server.calls.some((c) => c.url.endsWith('/stats'))).toBe(false);
  });

  it('shows the problem when the stats cannot be read', async () => {
    renderApp('/sessions/fix-login', {
      'GET /api/v1/sessions/fix-login': () => json(running),
      'GET /api/v1/sessions/fix-login/stats': () =>
        problem(409, 'illegal_transition', "cannot read stats in session 'fix-login': it is stopped"),
    });
    const alert = await within(await panel()).findByRole('alert');
    expect(alert.textContent).toContain('Could not read the stats');
  });

  it('draws CPU and memory and keeps polling', async () => {
    let n = 0;
    renderApp('/sessions/fix-login', {
      'GET /api/v1/sessions/fix-login': () => json(running),
      'GET /api/v1/sessions/fix-login/stats': () => json(sample(10 * ++n, 256 * 1024 ** 2)),
    });
    const p = await panel();
    await within(p).findByText('10.0%');
    within(p).getByText('256 MiB');
    within(p).getByText('of 2 GiB');
    within(p).getByRole('img', { name: /CPU use over the last 1 samples/ });
    // The next sample comes two seconds later.
    await waitFor(() => within(p).getByText('20.0%'), { timeout: 3000 });
    within(p).getByRole('img', { name: /CPU use over the last 2 samples/ });
  });
});
