// @vitest-environment jsdom
// Agent sessions on the dashboard: the task, the agent's status, the needs-you mark, the change
// size (from the diff route), the "needs me" filter. The server is faked at fetch and the events
// WebSocket, as in dashboard-page.test.tsx.
import { act, fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { Session } from '../../api/types';
import { json, pending, problem } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';

const list =
  (...sessions: Session[]) =>
  () =>
    json({ sessions, total: sessions.length });

const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

function agentSession(over: Partial<Session> = {}): Session {
  return makeSession({
    kind: 'agent',
    agent: 'claude',
    task: 'Fix the login redirect',
    agentStatus: 'working',
    agentStatusSince: minutesAgo(5),
    agentStatusSource: 'signals',
    ...over,
  });
}

const diffOf =
  (stat?: { files: number; additions: number; deletions: number }, diff = '') =>
  () =>
    json({ base: 'b'.repeat(40), head: 'h'.repeat(40), diff, ...(stat ? { stat } : {}) });

const cardOf = async (name: string) => (await screen.findByRole('link', { name })).closest('li')!;
const diffCalls = (server: { calls: { url: string }[] }, name: string) =>
  server.calls.filter((c) => c.url === `/api/v1/sessions/${name}/diff`).length;

function statusFrame(seq: number, s: Session, from: Session['agentStatus']) {
  return {
    type: 'agent.status.changed',
    seq,
    session: s,
    from,
    to: s.agentStatus,
    exitCode: s.agentExitCode,
  };
}

describe('agent sessions on the dashboard', () => {
  it('lead with the task, the agent status and since when, and the change size', async () => {
    renderApp('/', {
      'GET /api/v1/sessions': list(agentSession({ name: 'fix-login' })),
      'GET /api/v1/sessions/fix-login/diff': diffOf({ files: 2, additions: 12, deletions: 3 }),
    });
    const card = await cardOf('fix-login');
    expect(within(card).getByText('Fix the login redirect').className).toBe('session-task');
    const badge = within(card).getByText('working').closest('.agent-status')!;
    expect(badge.textContent).toBe('agent working');
    expect(badge.getAttribute('title')).toBeNull();
    expect(within(card).getByText('for 5 min').tagName).toBe('TIME');
    await within(card).findByText('+12 −3 in 2 files');
    expect(within(card).queryByRole('link', { name: /needs you/ })).toBeNull();
  });

  it('mark an agent that needs input, a guessed status, an exit code, and fall back to the description', async () => {
    renderApp('/', {
      'GET /api/v1/sessions': list(
        agentSession({ name: 'asking', agentStatus: 'needs-input' }),
        agentSession({
          name: 'guessed',
          agentStatusSource: 'guess',
          agentStatus: 'idle',
          task: null,
          description: 'Tidy the CSS',
        }),
        agentSession({ name: 'ended', agentStatus: 'exited', agentExitCode: 1 }),
      ),
    });
    const asking = await cardOf('asking');
    const mark = within(asking).getByRole('link', { name: 'asking needs you' });
    expect(mark.textContent).toBe('needs you');
    expect(mark.getAttribute('href')).toBe('/sessions/asking');
    within(asking).getByText('needs input');
    expect(asking.className).toContain('session-card-needs-you');

    const guessed = await cardOf('guessed');
    const badge = within(guessed).getByText('idle').closest('.agent-status')!;
    expect(badge.className).toContain('agent-status-guess');
    expect(badge.getAttribute('title')).toBe('guessed from terminal activity');
    expect(badge.textContent).toContain('(guessed from terminal activity)');
    expect(within(guessed).getByText('Tidy the CSS').className).toBe('session-task');

    const ended = await cardOf('ended');
    expect(within(ended).getByText('exited 1').closest('.agent-status')!.className).toContain(
      'agent-status-failed',
    );
  });

  it('fetch the diff once when shown, again when the agent status changes, not on other updates', async () => {
    const s = agentSession({ name: 'fix-login' });
    const app = renderApp('/', {
      'GET /api/v1/sessions': list(s),
      'GET /api/v1/sessions/fix-login/diff': diffOf({ files: 1, additions: 1, deletions: 0 }),
    });
    const card = await cardOf('fix-login');
    await within(card).findByText('+1 −0 in 1 file');
    const ws = app.events();
    act(() => {
      ws.open();
      ws.receive({ type: 'hello', seq: 1, version: 'test' });
    });
    await waitFor(() =>
      expect(app.server.calls.filter((c) => c.url.startsWith('/api/v1/sessions?')).length).toBe(2),
    );
    // Another change to the session (not to its agent): the same answer stands.
    act(() =>
      ws.receive({
        type: 'session.updated',
        seq: 2,
        session: { ...s, description: 'renamed', updatedAt: '2025-06-01T11:00:00.000Z' },
      }),
    );
    expect(diffCalls(app.server, 'fix-login')).toBe(1);

    app.server.route(
      'GET /api/v1/sessions/fix-login/diff',
      diffOf({ files: 3, additions: 40, deletions: 7 }),
    );
    const idle = {
      ...s,
      agentStatus: 'idle' as const,
      agentStatusSince: minutesAgo(0),
      updatedAt: '2025-06-01T12:00:00.000Z',
    };
    act(() => ws.receive(statusFrame(3, idle, 'working')));
    await within(card).findByText('+40 −7 in 3 files');
    within(card).getByText('idle');
    within(card).getByText('just now');
    expect(diffCalls(app.server, 'fix-login')).toBe(2);
  });

  it('count the change from the diff when an older server sends no stat; a failed diff shows nothing', async () => {
    const diff = ['diff --git a/a b/a', '--- a/a', '+++ b/a', '@@ -1 +1,2 @@', '-x', '+y', '+z', ''].join(
      '\n',
    );
    renderApp('/', {
      'GET /api/v1/sessions': list(agentSession({ name: 'older' }), agentSession({ name: 'broken' })),
      'GET /api/v1/sessions/older/diff': diffOf(undefined, diff),
      'GET /api/v1/sessions/broken/diff': () => problem(500, 'internal', 'git fell over'),
    });
    await within(await cardOf('older')).findByText('+2 −1 in 1 file');
    const broken = await cardOf('broken');
    await waitFor(() => expect(broken.querySelector('.diff-stat')).toBeNull());
    within(broken).getByText('working');
    expect(within(broken).queryByRole('alert')).toBeNull();
  });

  it('ask for at most two diffs at a time, and none for sessions that are not running', async () => {
    const { server } = renderApp('/', {
      'GET /api/v1/sessions': list(
        agentSession({ name: 'a1' }),
        agentSession({ name: 'a2' }),
        agentSession({ name: 'a3' }),
        agentSession({ name: 'sleeping', status: 'paused' }),
        makeSession({ name: 'plain' }),
      ),
      'GET /api/v1/sessions/a1/diff': pending,
      'GET /api/v1/sessions/a2/diff': pending,
      'GET /api/v1/sessions/a3/diff': pending,
    });
    await cardOf('a3');
    await waitFor(() => expect(server.calls.filter((c) => c.url.endsWith('/diff')).length).toBe(2));
    await new Promise((r) => setTimeout(r, 50));
    expect(server.calls.filter((c) => c.url.endsWith('/diff')).length).toBe(2);
    expect(diffCalls(server, 'sleeping') + diffCalls(server, 'plain')).toBe(0);
  });

  it('offer the preview on the card of a running session with a dev server', async () => {
    renderApp('/', {
      'GET /api/v1/sessions': list(
        agentSession({
          name: 'web',
          preview: {
            projectType: 'vite',
            command: ['npm', 'run', 'dev'],
            containerPort: 5173,
            hostPort: null,
          },
        }),
        agentSession({ name: 'no-preview' }),
      ),
      'POST /api/v1/sessions/web/preview/ticket': () =>
        json({
          url: 'http://preview.test/?ticket=t1',
          origin: 'http://preview.test',
          expiresAt: '2099-01-01T00:00:00Z',
        }),
    });
    const tab = { opener: window as unknown, location: { href: 'about:blank' }, close: vi.fn() };
    const open = vi.spyOn(window, 'open').mockReturnValue(tab as unknown as Window);
    fireEvent.click(await screen.findByRole('button', { name: 'Open preview of web' }));
    await waitFor(() => expect(tab.location.href).toBe('http://preview.test/?ticket=t1'));
    expect(open).toHaveBeenCalledWith('about:blank', '_blank');
    expect(tab.opener).toBeNull();
    expect(screen.queryByRole('button', { name: 'Open preview of no-preview' })).toBeNull();
    open.mockRestore();
  });

  it('filter to the agents that need me, counted even while the filter is off, live', async () => {
    const busy = agentSession({ name: 'busy' });
    const app = renderApp('/', {
      'GET /api/v1/sessions': list(
        busy,
        agentSession({ name: 'asking', agentStatus: 'needs-input' }),
        makeSession({ name: 'plain' }),
      ),
    });
    const filter = await screen.findByRole('button', { name: 'Needs me 1' });
    expect(filter.getAttribute('aria-pressed')).toBe('false');
    screen.getByRole('link', { name: 'busy' });

    fireEvent.click(filter);
    expect(filter.getAttribute('aria-pressed')).toBe('true');
    expect(screen.queryByRole('link', { name: 'busy' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'plain' })).toBeNull();
    screen.getByRole('link', { name: 'asking' });

    const ws = app.events();
    act(() => {
      ws.open();
      ws.receive({ type: 'hello', seq: 1, version: 'test' });
    });
    await waitFor(() =>
      expect(app.server.calls.filter((c) => c.url.startsWith('/api/v1/sessions?')).length).toBe(2),
    );
    const asksToo = { ...busy, agentStatus: 'needs-input' as const, updatedAt: '2025-06-01T12:00:00.000Z' };
    act(() => ws.receive(statusFrame(2, asksToo, 'working')));
    screen.getByRole('button', { name: 'Needs me 2' });
    screen.getByRole('link', { name: 'busy' });

    fireEvent.click(screen.getByRole('button', { name: 'Needs me 2' }));
    screen.getByRole('link', { name: 'plain' });
  });

  it('say so when no agent needs me, and show no agent filter without agents', async () => {
    renderApp('/', { 'GET /api/v1/sessions': list(agentSession({ name: 'busy' })) });
    fireEvent.click(await screen.findByRole('button', { name: 'Needs me 0' }));
    screen.getByText('No agent needs you');
    fireEvent.click(screen.getByRole('button', { name: 'Clear search and filters' }));
    screen.getByRole('link', { name: 'busy' });
  });

  it('hide the agent filter when no session runs an agent', async () => {
    renderApp('/', { 'GET /api/v1/sessions': list(makeSession({ name: 'plain' })) });
    await screen.findByRole('link', { name: 'plain' });
    expect(screen.queryByRole('button', { name: /Needs me/ })).toBeNull();
  });

  it('show the agent status in a column of the table', async () => {
    renderApp('/', {
      'GET /api/v1/sessions': list(
        agentSession({ name: 'asking', agentStatus: 'needs-input' }),
        makeSession({ name: 'plain' }),
      ),
    });
    await screen.findByRole('link', { name: 'asking' });
    fireEvent.click(screen.getByRole('button', { name: 'Table' }));
    const table = screen.getByRole('table');
    within(table).getByRole('columnheader', { name: 'Agent' });
    const row = within(table).getByRole('link', { name: 'asking' }).closest('tr')!;
    within(row).getByText('needs input');
    within(row).getByRole('link', { name: 'asking needs you' });
    within(row).getByText('Fix the login redirect');
    const plain = within(table).getByRole('link', { name: 'plain' }).closest('tr')!;
    within(plain).getByText('—');
  });
});
