import { createHmac } from 'node:crypto';
import { safeEqual } from '../auth/credentials.js';

/** A ticket is exchanged once for a cookie; it lives long enough to follow a link. */
export const TICKET_SECONDS = 60;
/** The preview cookie's life: a working day; a new ticket makes a new one. */
export const PREVIEW_COOKIE_SECONDS = 8 * 3600;
export const PREVIEW_COOKIE = 'berth_preview';

type Kind = 'ticket' | 'cookie';

/**
 * Signed, expiring grants to one session's preview: `kind.sessionId.expires.mac`. Tickets ride in
 * a URL for the preview host to turn into its own cookie; the MAC (with the server's secret and a
 * purpose string) keeps a ticket from passing as a cookie and either from naming another session.
 */
export class PreviewGrants {
  constructor(
    private readonly secret: Buffer,
    private readonly now: () => number = Date.now,
  ) {}

  private mac(kind: Kind, sessionId: string, expires: number): string {
    return createHmac('sha256', this.secret)
      .update(`berth-preview:${kind}:${sessionId}:${expires}`)
      .digest('base64url');
  }

  issue(kind: Kind, sessionId: string): { value: string; expiresAt: Date } {
    const seconds = kind === 'ticket' ? TICKET_SECONDS : PREVIEW_COOKIE_SECONDS;
    const expires = Math.floor(this.now() / 1000) + seconds;
    return {
      value: `${kind}.${sessionId}.${expires}.${this.mac(kind, sessionId, expires)}`,
      expiresAt: new Date(expires * 1000),
    };
  }

  /** The session id the grant is for, or null when it is forged, expired or of the other kind. */
  verify(kind: Kind, value: string | undefined): string | null {
    if (typeof value !== 'string' || value.length > 512) return null;
    const parts = value.split('.');
    if (parts.length !== 4 || parts[0] !== kind) return null;
    const [, sessionId, expiresRaw, mac] = parts as [string, string, string, string];
    const expires = Number(expiresRaw);
    if (!Number.isInteger(expires) || expires * 1000 <= this.now()) return null;
    return safeEqual(mac, this.mac(kind, sessionId, expires)) ? sessionId : null;
  }
}
