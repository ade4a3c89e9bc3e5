import type { ApiClient } from '../api/client';

/**
 * Opens a session's preview in a new tab through a single-use ticket, on the preview's own origin
 * (never the dashboard's), so the session's code gets no berth cookie. The tab is opened at once,
 * while the click still counts as the user's, and pointed at the preview once the ticket is here;
 * it keeps no handle back to the dashboard. Throws (the tab closed) when no ticket comes.
 */
export async function openPreview(api: ApiClient, name: string): Promise<void> {
  const tab = window.open('about:blank', '_blank');
  try {
    const ticket = await api.previewTicket(name);
    if (tab) {
      tab.opener = null;
      tab.location.href = ticket.url;
    } else {
      window.location.assign(ticket.url);
    }
  } catch (err) {
    tab?.close();
    throw err;
  }
}
