import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadServerSecret } from '../src/auth/credentials.js';
import { PreviewGrants } from '../src/previews/preview-tickets.js';

/** A BERTH_HOME of its own: the server secret lives there and outlives the daemon, as in a real one. */
function berthHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'berth-tickets-'));
  onTestFinished(() => rmSync(home, { recursive: true, force: true }));
  return home;
}

describe('preview tickets across a daemon restart (security review F22)', () => {
  it('refuses a ticket issued before the restart, even unused and unexpired; fresh tickets and old cookies work', async () => {
    const home = berthHome();
    const grant = { sessionId: 'session-1', who: 'token-1' };

    // The daemon before the restart: one ticket used, one leaked and not used yet, and a cookie.
    const before = new PreviewGrants(await loadServerSecret(home));
    const used = before.issue('ticket', grant).value;
    const leaked = before.issue('ticket', grant).value;
    const cookie = before.issue('cookie', grant).value;
    expect(before.redeem(used)).toEqual(grant);
    expect(before.redeem(used)).toBeNull();

    // The daemon after it: the same BERTH_HOME, so the same secret; its memory of used tickets is gone.
    const after = new PreviewGrants(await loadServerSecret(home));
    expect(after.verify('ticket', used), 'a used ticket replayed after a restart').toBeNull();
    expect(after.redeem(used), 'a used ticket replayed after a restart').toBeNull();
    expect(after.redeem(leaked), 'an unused ticket from before the restart').toBeNull();

    // What the new daemon issues works, once.
    const fresh = after.issue('ticket', grant).value;
    expect(after.redeem(fresh)).toEqual(grant);
    expect(after.redeem(fresh)).toBeNull();
    // The long-lived grants survive the restart: a preview stays open in the browser.
    expect(after.verify('cookie', cookie)).toEqual(grant);
    // And a ticket is still never a cookie, nor a cookie a ticket.
    expect(after.verify('cookie', after.issue('ticket', grant).value)).toBeNull();
    expect(after.redeem(cookie)).toBeNull();
  });
});
