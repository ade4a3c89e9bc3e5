import type { BerthConfig } from '../config/config.js';
import { BerthError, EngineError } from '../errors/berth-error.js';
import type { EventBus } from '../events/event-bus.js';
import type { Logger } from '../logger.js';
import type { DevServer } from '../previews/http-forward.js';
import { toBerthError } from '../runtime/docker-runtime.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import { isTerminal, type Session } from '../session/session.js';
import { BROKER_PORT, type EgressGateway, PROXY_PORT } from './egress-gateway.js';

/**
 * Where a session's container is plugged in, and how the daemon reaches it back:
 *  - a filtered session (`egress` set) gets a network of its own, whose only other member is
 *    berth's relay: its tools are pointed at the egress proxy, its agent at the key broker, both
 *    through the relay (`berth-relay` in its /etc/hosts), and its previews are dialled through it;
 *  - an unfiltered one (made before, or with BERTH_EGRESS=off) joins the shared network.
 * A filtered session's network goes when its session ends or is deleted (an event), and the
 * reconciler sweeps the ones a killed daemon left.
 */

/** The relay's name inside a filtered session. */
export const RELAY_HOST = 'berth-relay';
/** The key broker's origin as a filtered session's agent is given it. */
export const RELAY_BROKER_ORIGIN = `http://${RELAY_HOST}:${BROKER_PORT}`;

export interface NetworkAttachment {
  network: string;
  /** Proxy variables for the session's tools (they win over the host's). */
  env: Record<string, string>;
  /** `NAME:ADDRESS` lines for its /etc/hosts. */
  extraHosts: string[];
}

export interface SessionNetworksDeps {
  config: Pick<BerthConfig, 'sessionNetwork'>;
  runtime: ContainerRuntime;
  logger: Logger;
  /** Null where egress cannot be filtered (no relay image): filtered sessions are then refused. */
  gateway: EgressGateway | null;
}

function proxyEnv(): Record<string, string> {
  const url = `http://${RELAY_HOST}:${PROXY_PORT}`;
  const noProxy = `localhost,127.0.0.1,::1,${RELAY_HOST}`;
  return {
    HTTP_PROXY: url,
    HTTPS_PROXY: url,
    http_proxy: url,
    https_proxy: url,
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}

export class SessionNetworks {
  constructor(private readonly deps: SessionNetworksDeps) {}

  /** Before the session's container is made; `release` undoes it. */
  async attach(session: Pick<Session, 'id' | 'egress'>): Promise<NetworkAttachment> {
    const { config, runtime } = this.deps;
    if (!session.egress) {
      await runtime.ensureSessionNetwork(config.sessionNetwork);
      return { network: config.sessionNetwork, env: {}, extraHosts: [] };
    }
    const net = await this.gateway()
      .createSessionNetwork(session.id)
      .catch((err: unknown) => {
        throw err instanceof BerthError ? err : toBerthError(err, "make the session's network");
      });
    return { network: net.name, env: proxyEnv(), extraHosts: [`${RELAY_HOST}:${net.relay}`] };
  }

  /**
   * The session's own network, if it has one (after its container is gone). A failure is logged,
   * not thrown: the session's end goes on, and the reconciler sweeps what is left.
   */
  async release(session: Pick<Session, 'id' | 'egress'>): Promise<void> {
    if (session.egress) await this.releaseQuietly(session.id);
  }

  /**
   * How the daemon reaches `port` of the session's container: the runtime dials it on the shared
   * network, the relay on a filtered session's own. Null when it is not on its network.
   */
  async target(
    session: Pick<Session, 'containerId' | 'egress' | 'id'>,
    port: number,
  ): Promise<DevServer | null> {
    if (!session.containerId) return null;
    const dial = session.egress
      ? await this.gateway().dial(session.id, session.containerId, port)
      : await this.deps.runtime.dial(session.containerId, port, { network: this.deps.config.sessionNetwork });
    return dial ? { port, dial } : null;
  }

  /** Networks go with their sessions: when one ends (or its create fails) or is deleted. */
  watch(events: EventBus): () => void {
    return events.subscribe((e) => {
      if (e.type === 'session.deleted') void this.releaseQuietly(e.id);
      else if (e.type === 'session.status.changed' && isTerminal(e.to) && e.session.egress)
        void this.releaseQuietly(e.session.id);
    });
  }

  /**
   * Removes the networks of sessions that are gone or ended (a daemon killed mid-way left them),
   * and brings the relay up again for those that live on (at a daemon's start).
   */
  async sweep(isLive: (sessionId: string) => boolean): Promise<number> {
    const gateway = this.deps.gateway;
    if (!gateway) return 0;
    let removed = 0;
    let live = 0;
    for (const id of await gateway.sessionNetworkIds()) {
      if (isLive(id)) {
        live++;
        continue;
      }
      await this.releaseQuietly(id);
      removed++;
    }
    // Its failure (no relay image, say) must not keep the daemon from starting: it is logged, and
    // the next filtered create says what to do.
    if (live > 0)
      await gateway
        .start()
        .catch((err: unknown) =>
          this.deps.logger.warn(
            { err },
            'the egress relay could not start: filtered sessions cannot reach out',
          ),
        );
    return removed;
  }

  private async releaseQuietly(sessionId: string): Promise<void> {
    await this.deps.gateway
      ?.removeSessionNetwork(sessionId)
      .catch((err: unknown) =>
        this.deps.logger.warn({ err, session: sessionId }, 'could not remove a session network'),
      );
  }

  private gateway(): EgressGateway {
    const gateway = this.deps.gateway;
    if (!gateway) throw new EngineError('egress filtering is not set up in this berth');
    return gateway;
  }
}
