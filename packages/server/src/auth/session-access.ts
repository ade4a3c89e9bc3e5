import { type AccountStore, type Core, InvalidInput, NotFound, type Session } from '@berth/core';
import type { Principal } from './auth.js';
import { isAdmin } from './auth.js';

/**
 * Who may see which session: the host's owner and admins see all; a member sees their own and
 * their teams'. Anything else is answered exactly as a session that does not exist (404).
 */
export class SessionAccess {
  constructor(
    private readonly core: Core,
    private readonly accounts: AccountStore,
  ) {}

  async canSee(p: Principal | null): Promise<(s: Session) => boolean> {
    if (isAdmin(p)) return () => true;
    if (p?.kind !== 'user') return () => false;
    const teams = new Set(await this.accounts.teamsOf(p.user.id));
    return (s) => s.ownerId === p.user.id || (s.teamId !== null && teams.has(s.teamId));
  }

  /** The session by name or id, if this principal may see it; otherwise the same 404 as absent. */
  /**
   * Fails unless the principal may see the session. Admins and the host's owner see everything,
   * so for them the route's own lookup (which answers 404 for a missing session) is enough.
   */
  async assertVisible(p: Principal | null, ref: string): Promise<void> {
    if (isAdmin(p)) return;
    await this.visible(p, ref);
  }

  async visible(p: Principal | null, ref: string): Promise<Session> {
    const s = await this.core.service.get(ref);
    if (!(await this.canSee(p))(s)) {
      throw new NotFound(`no session named '${String(ref).slice(0, 80)}'`, {
        hint: 'list sessions with `berth ls`',
      });
    }
    return s;
  }

  /** Owner and team for a new session: a member may only share with a team they belong to. */
  async ownership(
    p: Principal | null,
    teamName: string | undefined,
  ): Promise<{ ownerId: string | null; teamId: string | null }> {
    const ownerId = p?.kind === 'user' ? p.user.id : null;
    if (teamName === undefined) return { ownerId, teamId: null };
    const team = await this.accounts.getTeamByName(teamName);
    const member =
      team && p?.kind === 'user' ? (await this.accounts.teamsOf(p.user.id)).includes(team.id) : false;
    if (!team || (!isAdmin(p) && !member)) {
      throw new InvalidInput(`you are not a member of a team named '${teamName.slice(0, 60)}'`, {
        hint: 'list your teams with `berth team ls`',
      });
    }
    return { ownerId, teamId: team.id };
  }
}
