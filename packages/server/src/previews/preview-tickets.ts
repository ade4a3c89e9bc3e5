import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../auth/credentials.js';

/** A ticket is exchanged once for a cookie; it lives long enough to follow a link. */
export const TICKET_SECONDS = 60;
/** The preview cookie's life: a working day; a new ticket makes a new one. */
export const PREVIEW_COOKIE_SECONDS = 8 * 3600;
export const PREVIEW_COOKIE = 'berth_preview';

type Kind = 'ticket' | 'cookie';

/** Whom a grant was given to: a login or API token's id, or `local` (the unix socket's owner). */
export interface Grant {
  sessionId: string;
  who: string;
}

/**
 * Signed, expiring grants to one session's preview: `kind.sessionId.who.expires.nonce.mac`. Tickets ride
 * in a URL for the preview host to turn into its own cookie, once; the MAC (with the server's
 * secret and a purpose string) keeps a ticket from passing as a cookie and either from naming
 * another session or another holder. `who` lets the proxy check, on each request, that the token
 * it came from is still valid and still sees the session.
 *
 * The secret is BERTH_HOME's and outlives the daemon, but the list of used tickets is only in
 * memory; so a ticket's MAC also covers a random key of this instance (one per daemon process),
 * and a ticket from before a restart, used or not, is refused like a forged one: a leaked link
 * still works at most once. Cookies are signed with the secret alone and survive a restart.
 */
export class PreviewGrants {
  /** Tickets already exchanged, until they expire anyway: a leaked link works at most once. */
  private readonly redeemed = new Map<string, number>();
  /** Never stored: the tickets this instance made are the only ones it takes. */
  private readonly instanceKey = randomBytes(32).toString('base64url');

  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  private mac(kind: Kind, g: Grant, expires: number, nonce: string): string {
    const instance = kind === 'ticket' ? `${this.instanceKey}:` : '';
    return createHmac('sha256', this.secret)
      .update(`berth-preview:${kind}:${instance}${g.sessionId}:${g.who}:${expires}:${nonce}`)
      .digest('base64url');
  }

  issue(kind: Kind, g: Grant): { value: string; expiresAt: Date } {
    const seconds = kind === 'ticket' ? TICKET_SECONDS : PREVIEW_COOKIE_SECONDS;
    const expires = Math.floor(this.now() / 1000) + seconds;
    // Each grant is unique, so using up one ticket never uses up another made in the same second.
    const nonce = randomBytes(12).toString('base64url');
    return {
      value: `${kind}.${g.sessionId}.${g.who}.${expires}.${nonce}.${this.mac(kind, g, expires, nonce)}`,
      expiresAt: new Date(expires * 1000),
    };
  }

  /** What the grant allows, or null when it is forged, expired, of the other kind or a used ticket. */
  verify(kind: Kind, value: string | undefined): Grant | null {
    if (typeof value !== 'string' || value.length > 512) return null;
    const parts = value.split('.');
    if (parts.length !== 6 || parts[0] !== kind) return null;
    const [, sessionId, who, expiresRaw, nonce, mac] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    const expires = Number(expiresRaw);
    if (!Number.isInteger(expires) || expires * 1000 <= this.now()) return null;
    if (kind === 'ticket' && this.redeemed.has(value)) return null;
    const grant = { sessionId, who };
    return safeEqual(mac, this.mac(kind, grant, expires, nonce)) ? grant : null;
  }

  /** Verifies a ticket and uses it up. */
  redeem(value: string | undefined): Grant | null {
    const grant = this.verify('ticket', value);
    if (!grant || value === undefined) return null;
    const now = this.now();
    for (const [v, until] of this.redeemed) if (until <= now) this.redeemed.delete(v);
    this.redeemed.set(value, Number(value.split('.')[3]) * 1000);
    return grant;
  }
}
