// @vitest-environment jsdom
// jsdom has no Notification API: FakeNotification stands in for the browser's (its permission,
// the permission prompt's answer, and the notifications shown), installed as a global per test.
import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { json } from '../test/fake-fetch';
import { renderApp } from '../test/render-app';
import { makeSession } from '../test/sessions';
import type { Session } from './types';

class FakeNotification {
  static permission: NotificationPermission = 'default';
  /** What the permission prompt answers. */
  static answer: NotificationPermission = 'granted';
  static asked = 0;
  static shown: FakeNotification[] = [];
  onclick: ((e: Event) => void) | null = null;
  closed = false;

  constructor(
    readonly title: string,
    readonly options: NotificationOptions = {},
  ) {
    FakeNotification.shown.push(this);
  }

  static async requestPermission(): Promise<NotificationPermission> {
    FakeNotification.asked++;
    FakeNotification.permission = FakeNotification.answer;
    return FakeNotification.permission;
  }

  close(): void {
    this.closed = true;
  }
}

beforeEach(() => {
  FakeNotification.permission = 'default';
  FakeNotification.answer = 'granted';
  FakeNotification.asked = 0;
  FakeNotification.shown = [];
  vi.stubGlobal('Notification', FakeNotification);
});
afterEach(() => vi.unstubAllGlobals());

const agent = makeSession({
  name: 'fix-login',
  kind: 'agent',
  agent: 'claude',
  task: 'Fix the login redirect',
  agentStatus: 'working',
  agentStatusSince: '2025-06-01T10:00:00.000Z',
  agentStatusSource: 'signals',
});

async function dashboard() {
  const app = renderApp('/', {
    'GET /api/v1/sessions': () => json({ sessions: [agent], total: 1 }),
  });
  await screen.findByRole('link', { name: 'fix-login' });
  const ws = app.events();
  act(() => {
    ws.open();
    ws.receive({ type: 'hello', seq: 1, version: 'test' });
  });
  let seq = 1;
  const agentGoes = (from: Session['agentStatus'], to: NonNullable<Session['agentStatus']>) =>
    act(() =>
      ws.receive({
        type: 'agent.status.changed',
        seq: ++seq,
        session: {
          ...agent,
          agentStatus: to,
          updatedAt: `2025-06-01T11:00:${String(seq).padStart(2, '0')}.000Z`,
        },
        from,
        to,
        exitCode: null,
      }),
    );
  return { app, agentGoes };
}

const toggle = () =>
  screen.getByRole('checkbox', { name: 'Notify me when an agent needs me' }) as HTMLInputElement;

describe('agent notifications', () => {
  it('are off by default: nothing is asked and nothing shown', async () => {
    const { agentGoes } = await dashboard();
    expect(toggle().checked).toBe(false);
    agentGoes('working', 'needs-input');
    expect(FakeNotification.shown).toEqual([]);
    expect(FakeNotification.asked).toBe(0);
  });

  it('once turned on (asking the browser), tell when an agent starts waiting; a click opens its session', async () => {
    const { agentGoes } = await dashboard();
    fireEvent.click(toggle());
    await waitFor(() => expect(toggle().checked).toBe(true));
    expect(FakeNotification.asked).toBe(1);
    expect(localStorage.getItem('berth.notify')).toBe('on');

    agentGoes('working', 'idle');
    expect(FakeNotification.shown).toEqual([]);
    agentGoes('idle', 'needs-input');
    expect(FakeNotification.shown).toHaveLength(1);
    const n = FakeNotification.shown[0]!;
    expect(n.title).toBe('berth: fix-login needs you');
    expect(n.options.body).toBe('Fix the login redirect');
    // Still waiting (the same question again): no second notification.
    agentGoes('needs-input', 'needs-input');
    expect(FakeNotification.shown).toHaveLength(1);

    const focus = vi.spyOn(window, 'focus').mockImplementation(() => undefined);
    act(() => n.onclick?.(new Event('click')));
    expect(focus).toHaveBeenCalled();
    expect(n.closed).toBe(true);
    expect(location.pathname).toBe('/sessions/fix-login');
  });

  it('are remembered on this browser, and turned off again', async () => {
    FakeNotification.permission = 'granted';
    localStorage.setItem('berth.notify', 'on');
    const { agentGoes } = await dashboard();
    expect(toggle().checked).toBe(true);
    fireEvent.click(toggle());
    await waitFor(() => expect(toggle().checked).toBe(false));
    expect(localStorage.getItem('berth.notify')).toBeNull();
    agentGoes('working', 'needs-input');
    expect(FakeNotification.shown).toEqual([]);
  });

  it('stay off when the browser says no, and say where to change that', async () => {
    FakeNotification.answer = 'denied';
    const { agentGoes } = await dashboard();
    fireEvent.click(toggle());
    expect(
      await screen.findByText('Notifications are blocked in this browser’s site settings.'),
    ).toBeTruthy();
    expect(toggle().checked).toBe(false);
    expect(localStorage.getItem('berth.notify')).toBeNull();
    agentGoes('working', 'needs-input');
    expect(FakeNotification.shown).toEqual([]);
  });

  it('are not offered where the browser has no notifications', async () => {
    vi.stubGlobal('Notification', undefined);
    await dashboard();
    expect(screen.queryByRole('checkbox', { name: /Notify me/ })).toBeNull();
  });
});
