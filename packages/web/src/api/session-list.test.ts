import { describe, expect, it } from 'vitest';
import { makeSession } from '../test/sessions';
import { applyFrame } from './session-list';
import { reduceSessionList } from './use-session-list';

const t = (minute: number) => `2025-06-01T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe('the live session list', () => {
  it('adds, updates and removes sessions from frames', () => {
    const a = makeSession({ name: 'a' });
    let list = applyFrame([], { type: 'session.created', seq: 1, session: a });
    list = applyFrame(list, {
      type: 'session.status.changed',
      seq: 2,
      session: { ...a, status: 'paused', updatedAt: t(5) },
      from: 'running',
      to: 'paused',
      reason: null,
    });
    expect(list.map((s) => s.status)).toEqual(['paused']);
    list = applyFrame(list, { type: 'session.deleted', seq: 3, id: a.id, name: a.name });
    expect(list).toEqual([]);
  });

  it('never lets an older copy replace a newer one', () => {
    const newer = makeSession({ name: 'a', status: 'stopped', updatedAt: t(9) });
    const older = makeSession({ name: 'a', status: 'running', updatedAt: t(1) });
    expect(applyFrame([newer], { type: 'session.updated', seq: 1, session: older })).toEqual([newer]);
  });

  it('keeps frames that come while loading and applies them to the answer', () => {
    const a = makeSession({ name: 'a', updatedAt: t(0) });
    const b = makeSession({ name: 'b', updatedAt: t(2) });
    let state = reduceSessionList(
      { status: 'loading', pending: [] },
      {
        type: 'frame',
        frame: { type: 'session.created', seq: 1, session: b },
      },
    );
    state = reduceSessionList(state, {
      type: 'frame',
      frame: { type: 'session.deleted', seq: 2, id: 'gone', name: 'gone' },
    });
    state = reduceSessionList(state, {
      type: 'loaded',
      sessions: [a, makeSession({ name: 'gone', id: 'gone' })],
    });
    expect(state.status === 'ready' && state.sessions.map((s) => s.name)).toEqual(['a', 'b']);
  });

  it('keeps showing the list when a reload fails', () => {
    const ready = reduceSessionList({ status: 'loading', pending: [] }, { type: 'loaded', sessions: [] });
    expect(reduceSessionList(ready, { type: 'failed', error: new Error('x') })).toBe(ready);
  });
});
