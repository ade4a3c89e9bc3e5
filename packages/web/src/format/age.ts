/** How long ago `iso` was, briefly: "just now", "5 min", "3 h", "2 d". */
export function formatAge(iso: string, now: number = Date.now()): string {
  const ms = now - Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}

/** The same, as a phrase: "just now", "5 min ago". */
export function formatAgo(iso: string, now: number = Date.now()): string {
  const age = formatAge(iso, now);
  return age === 'just now' || age === '—' ? age : `${age} ago`;
}

/** A span of seconds, briefly: "45 s", "5 min", "1 h 30 min". */
export function formatSeconds(total: number): string {
  if (total < 60) return `${total} s`;
  const h = Math.floor(total / 3600);
  const m = Math.round((total % 3600) / 60);
  if (h === 0) return `${m} min`;
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** When anything last happened in a session: activity inside it or a change to it. */
export function lastActivityOf(s: { lastActivityAt: string; updatedAt: string }): string {
  return s.lastActivityAt.localeCompare(s.updatedAt) > 0 ? s.lastActivityAt : s.updatedAt;
}
