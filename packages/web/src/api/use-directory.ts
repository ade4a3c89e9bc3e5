import { useEffect, useState } from 'react';
import { useApi } from './api-context';
import type { Principal, Team, User } from './types';

export interface Directory {
  /** "you", "host owner" (sessions made over the unix socket), a username, or a short id. */
  ownerLabel(ownerId: string | null): string;
  teamName(teamId: string | null): string | null;
}

/**
 * Names for the ids sessions carry. Users are listed for admins only and teams for their members,
 * so whatever cannot be named shows as a short id; a failure here never fails the view.
 */
export function useDirectory(principal: Principal): Directory {
  const api = useApi();
  const [users, setUsers] = useState<User[]>([]);
  const [teams, setTeams] = useState<Team[]>([]);
  const me = principal.user;
  const isAdmin = principal.kind === 'local' || me?.role === 'admin';

  useEffect(() => {
    let current = true;
    if (isAdmin)
      api.listUsers().then(
        (u) => current && setUsers(u),
        () => undefined,
      );
    api.listTeams().then(
      (t) => current && setTeams(t),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [api, isAdmin]);

  return {
    ownerLabel(ownerId) {
      if (ownerId === null) return 'host owner';
      if (me && ownerId === me.id) return 'you';
      return users.find((u) => u.id === ownerId)?.username ?? ownerId.slice(0, 8);
    },
    teamName(teamId) {
      if (teamId === null) return null;
      return teams.find((t) => t.id === teamId)?.name ?? teamId.slice(0, 8);
    },
  };
}
