import type { AgentSessions } from '../agents/agent-sessions.js';
import type { SessionNetworks } from '../egress/session-networks.js';
import type { Logger } from '../logger.js';
import { PreviewManager } from '../previews/preview-manager.js';
import type { Secrets } from '../secrets/secrets.js';
import type { SessionPatch } from '../store/store.js';
import type { LiveSession, Session } from './session.js';

/**
 * What a part of a session that is not its container (its agent, its preview, its network, its
 * key) does as the session's container comes and goes. The verbs call every feature at the same
 * points, so a new part plugs in here instead of into each verb.
 */
export interface SessionFeature {
  /** Before the container starts again: start, restart, or a stopped session woken for a snapshot. */
  beforeStart?(s: LiveSession): Promise<void>;
  /** After the container started again: what the record says now. */
  afterStart?(s: LiveSession): Promise<SessionPatch>;
  /** After the container stopped: what the record says now. */
  afterStop?(s: LiveSession): Promise<SessionPatch>;
  /** The container is gone for good (finish, cancel, remove, an undone create): give back what it held. */
  release(s: Session): Promise<SessionPatch | undefined>;
}

/** Runs one hook of every feature in order, and merges what they say the record should now hold. */
export async function eachFeature(
  features: readonly SessionFeature[],
  hook: (f: SessionFeature) => Promise<SessionPatch | undefined> | undefined,
): Promise<SessionPatch> {
  const patch: SessionPatch = {};
  for (const f of features) Object.assign(patch, (await hook(f)) ?? {});
  return patch;
}

/** Every feature's work before the container starts again, in order. */
export async function beforeStart(features: readonly SessionFeature[], s: LiveSession): Promise<void> {
  for (const f of features) await f.beforeStart?.(s);
}

export const SSH_KEY_SCOPE = (id: string) => `session:${id}`;
export const SSH_KEY_NAME = 'ssh-key';

/** The session's dev server: its forwarder and host port go with the container, and come back with it. */
export function previewFeature(previews: PreviewManager, logger: Logger): SessionFeature {
  const suspend = async (s: Session): Promise<SessionPatch> => {
    await previews.release(s.id);
    return { preview: PreviewManager.suspended(s.preview) };
  };
  return {
    // The dev server died with the container, so it runs again (a failure is kept as not ready).
    async afterStart(s) {
      if (!s.preview) return {};
      try {
        return { preview: await previews.launch(s, null) };
      } catch (err) {
        logger.warn({ err, session: s.id }, 'the preview did not come back after a start');
        return { preview: PreviewManager.suspended(s.preview) };
      }
    },
    afterStop: suspend,
    release: suspend,
  };
}

/** The session's network (its own, when it is filtered) goes once its container has. */
export function networkFeature(networks: SessionNetworks): SessionFeature {
  return {
    async release(s) {
      await networks.release(s);
      return undefined;
    },
  };
}

/** The SSH key of a remote session served clone, fetch and push; an ended session needs it no more. */
export function sshKeyFeature(secrets: Secrets): SessionFeature {
  return {
    async release(s) {
      await secrets.delete(SSH_KEY_SCOPE(s.id));
      return s.hasSshKey ? { hasSshKey: false } : undefined;
    },
  };
}

/** The session's agent: its credentials come back before a start, its volume and logins go at the end. */
export function agentFeature(agents: AgentSessions): SessionFeature {
  return {
    beforeStart: (s) => agents.beforeStart(s),
    async release(s) {
      await agents.release(s);
      return undefined;
    },
  };
}
