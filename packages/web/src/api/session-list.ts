import type { ServerFrame, Session } from './types';

/** Puts `s` in the list, unless the list already holds a newer copy of it. */
export function upsertSession(list: readonly Session[], s: Session): Session[] {
  const i = list.findIndex((x) => x.id === s.id);
  if (i < 0) return [...list, s];
  if (list[i]!.updatedAt > s.updatedAt) return list as Session[];
  const next = [...list];
  next[i] = s;
  return next;
}

/** The session a frame carries in full, if it carries one. */
export function sessionOf(frame: ServerFrame): Session | null {
  switch (frame.type) {
    case 'session.created':
    case 'session.updated':
    case 'session.status.changed':
    case 'container.health':
    case 'agent.status.changed':
      return frame.session;
    default:
      return null;
  }
}

/** What a server frame does to a list of sessions; frames about other things leave it as it is. */
export function applyFrame(list: readonly Session[], frame: ServerFrame): Session[] {
  if (frame.type === 'session.deleted') return list.filter((s) => s.id !== frame.id);
  const s = sessionOf(frame);
  return s ? upsertSession(list, s) : (list as Session[]);
}
