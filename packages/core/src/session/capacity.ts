import type { BerthConfig } from '../config/config.js';
import { LimitReached } from '../errors/berth-error.js';
import type { SessionStore } from '../store/store.js';

const HINT = 'pause one (`berth pause NAME`), stop one (`berth stop NAME`) or finish one, then try again';

/**
 * Whether one more session may run: the server-wide cap, then the owner's and the team's when
 * they are set. Callers hold the service's capacity lock, so a burst cannot overshoot.
 */
export async function assertCapacity(
  deps: { config: BerthConfig; store: SessionStore },
  name: string,
  who: { ownerId: string | null; teamId: string | null },
): Promise<void> {
  const { config, store } = deps;
  const live = ['creating', 'running'] as const;
  const running = await store.count(live);
  if (running >= config.maxRunningSessions) {
    throw new LimitReached(
      `cannot run session '${name}': ${running} of ${config.maxRunningSessions} sessions are already running`,
      { hint: HINT },
    );
  }
  if (who.ownerId && config.maxRunningPerUser > 0) {
    const mine = await store.count(live, { ownerId: who.ownerId });
    if (mine >= config.maxRunningPerUser) {
      throw new LimitReached(
        `cannot run session '${name}': you already run ${mine} of your ${config.maxRunningPerUser}`,
        { hint: HINT },
      );
    }
  }
  if (who.teamId && config.maxRunningPerTeam > 0) {
    const team = await store.count(live, { teamId: who.teamId });
    if (team >= config.maxRunningPerTeam) {
      throw new LimitReached(
        `cannot run session '${name}': its team already runs ${team} of ${config.maxRunningPerTeam}`,
        { hint: HINT },
      );
    }
  }
}
