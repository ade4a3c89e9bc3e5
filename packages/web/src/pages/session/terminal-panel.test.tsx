// @vitest-environment jsdom
// xterm.js needs a real layout engine, so the terminal itself is replaced at its module seam by a
// stand-in that reports the shell's events; ShellConnection has its own test with a fake WebSocket.
import { act, fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { json } from '../../test/fake-fetch';
import { renderApp } from '../../test/render-app';
import { makeSession } from '../../test/sessions';
import type { ShellEvents } from './shell-terminal';

const shell = vi.hoisted(() => ({ events: null as ShellEvents | null, mounts: 0 }));
vi.mock('./shell-terminal', () => ({
  default: ({ name, target = 'shell', events }: { name: string; target?: string; events: ShellEvents }) => {
    shell.events = events;
    shell.mounts++;
    return (
      <div data-testid="xterm">
        {target} terminal for {name}
      </div>
    );
  },
}));

const open = async (status: 'running' | 'paused') => {
  renderApp('/sessions/fix-login#terminal', {
    'GET /api/v1/sessions/fix-login': () => json(makeSession({ name: 'fix-login', status })),
  });
  return (await screen.findByRole('heading', { name: 'Shell' })).closest('section')!;
};

describe('terminal panel', () => {
  it('is empty while the session does not run', async () => {
    const panel = await open('paused');
    within(panel).getByText('A shell opens while the session runs.');
    within(panel).getByText('Resume the session to open it.');
  });

  it('opens a shell on request, loading the terminal, then says when it is connected', async () => {
    const panel = await open('running');
    fireEvent.click(within(panel).getByRole('button', { name: 'Open a shell' }));
    within(panel).getByText('Connecting…');
    expect((await within(panel).findByTestId('xterm')).textContent).toBe('shell terminal for fix-login');
    act(() => shell.events?.onOpen());
    within(panel).getByText('Connected');
  });

  it('shows the server’s problem when no terminal could be opened, and tries again', async () => {
    const panel = await open('running');
    fireEvent.click(within(panel).getByRole('button', { name: 'Open a shell' }));
    await within(panel).findByTestId('xterm');
    act(() =>
      shell.events?.onProblem({
        type: 'x',
        title: 'Not allowed in this state',
        status: 409,
        code: 'illegal_transition',
        detail: "cannot open a shell in session 'fix-login': it is paused",
        hint: 'resume it with `berth resume fix-login`',
      }),
    );
    const alert = within(panel).getByRole('alert');
    expect(alert.textContent).toContain('Could not open a shell');
    expect(alert.textContent).toContain('berth resume fix-login');
    const before = shell.mounts;
    fireEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    await within(panel).findByTestId('xterm');
    expect(shell.mounts).toBeGreaterThan(before);
  });

  it('keeps the output after the shell exits and offers a new one', async () => {
    const panel = await open('running');
    fireEvent.click(within(panel).getByRole('button', { name: 'Open a shell' }));
    await within(panel).findByTestId('xterm');
    act(() => {
      shell.events?.onOpen();
      shell.events?.onExit(0);
      shell.events?.onClose(1000);
    });
    within(panel).getByText('The shell exited (code 0).');
    within(panel).getByTestId('xterm');
    within(panel).getByRole('button', { name: 'Open a new shell' });
  });

  it('says when the connection drops', async () => {
    const panel = await open('running');
    fireEvent.click(within(panel).getByRole('button', { name: 'Open a shell' }));
    await within(panel).findByTestId('xterm');
    act(() => {
      shell.events?.onOpen();
      shell.events?.onClose(1006);
    });
    within(panel).getByText('The connection closed.');
  });

  it('gives an agent session the agent’s own terminal beside the shell, and attaching leaves it running', async () => {
    renderApp('/sessions/fix-login#agent', {
      'GET /api/v1/sessions/fix-login': () =>
        json(makeSession({ name: 'fix-login', kind: 'agent', agent: 'claude' })),
    });
    const panel = (await screen.findByRole('heading', { name: 'Agent' })).closest('section')!;
    expect(screen.getByRole('tab', { name: 'Agent' }).getAttribute('aria-selected')).toBe('true');
    within(panel).getByText(/runs in this terminal: what you type reaches it/);
    fireEvent.click(within(panel).getByRole('button', { name: 'Attach to the agent' }));
    expect((await within(panel).findByTestId('xterm')).textContent).toBe('agent terminal for fix-login');
    act(() => {
      shell.events?.onOpen();
      shell.events?.onClose(1006);
    });
    within(panel).getByRole('button', { name: 'Attach again' });
    // The manual shell is its own view.
    screen.getByRole('tab', { name: 'Terminal' });
  });

  it('offers no agent view for a session without an agent', async () => {
    await open('running');
    expect(screen.queryByRole('tab', { name: 'Agent' })).toBeNull();
  });
});
