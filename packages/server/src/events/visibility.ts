import type { Core, Session, SessionEvent } from '@berth/core';
import { isAdmin, type Principal } from '../auth/auth.js';
import type { SessionAccess } from '../auth/session-access.js';
import { seesEnvValues } from '../session-env.js';

/** How often a member's view is read again, so a team change reaches sockets already open. */
const REFRESH_MS = 30_000;

/**
 * Which sessions one events client may see. The local socket and admins see all; a member sees
 * what SessionAccess allows. A deletion names no owner, so what each session id was is remembered:
 * from a listing at connect and from every event since.
 */
export class Visibility {
  private canSee: ((s: Session) => boolean) | null = null;
  private readonly seen = new Map<string, boolean>();
  private timer: NodeJS.Timeout | null = null;

  private constructor(
    private readonly core: Core,
    private readonly access: SessionAccess | undefined,
    private readonly principal: Principal | null,
  ) {}

  /** Without `access` (a server with no auth), everything is visible. */
  static async open(core: Core, access: SessionAccess | undefined, principal: Principal | null) {
    const v = new Visibility(core, access, principal);
    if (access && !isAdmin(principal)) {
      await v.refresh();
      v.timer = setInterval(() => v.refresh().catch(() => undefined), REFRESH_MS);
      v.timer.unref();
    }
    return v;
  }

  /** Whether this client is shown host paths: admins, the local socket, a server without auth. */
  get seesHostPaths(): boolean {
    return !this.access || isAdmin(this.principal);
  }

  /** Whether this client reads the env values of `s`: its owner and the local socket (session-env.ts). */
  seesEnvOf(s: Session): boolean {
    return !this.access || seesEnvValues(this.principal, s.ownerId);
  }

  /** Called for every event on the bus: keep it cheap and synchronous. */
  allows(e: SessionEvent): boolean {
    if (!this.canSee) return true;
    if (e.type === 'session.deleted') {
      const ok = this.seen.get(e.id) === true;
      this.seen.delete(e.id);
      return ok;
    }
    if (!('session' in e)) return false;
    const ok = this.canSee(e.session);
    this.seen.set(e.session.id, ok);
    return ok;
  }

  /** The session by name or id when this client may see it; the same not-found as absent otherwise. */
  get(ref: string): Promise<Session> {
    return this.access ? this.access.visible(this.principal, ref) : this.core.service.get(ref);
  }

  dispose(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async refresh(): Promise<void> {
    const canSee = await this.access!.canSee(this.principal);
    const sessions = await this.core.service.list();
    this.canSee = canSee;
    for (const s of sessions) this.seen.set(s.id, canSee(s));
  }
}
