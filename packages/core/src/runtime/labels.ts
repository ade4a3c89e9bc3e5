/** The one place that owns berth's label names: berth only ever touches objects carrying them. */
export const LABEL_MANAGED = 'dev.berth.managed';
export const LABEL_SESSION_ID = 'dev.berth.session.id';
export const LABEL_SESSION_NAME = 'dev.berth.session.name';
export const LABEL_HOME = 'dev.berth.home';
/** Set on containers that are not a session's own: `collector`, a short-lived work collector. */
export const LABEL_ROLE = 'dev.berth.role';
export const ROLE_COLLECTOR = 'collector';
/** berth's agents volume (no BERTH_HOME label: one per engine, shared by every berth on it). */
export const ROLE_AGENTS = 'agents';
/** berth's egress relay: on every filtered session's network, the way out and in. */
export const ROLE_RELAY = 'egress-relay';
/** A short-lived container filling or reading the agents volume, or probing an image. */
export const ROLE_HELPER = 'helper';
/** The agents volume's pinned set (a hash of the versions). */
export const LABEL_AGENTS_SET = 'dev.berth.agents.set';

export function sessionLabels(opts: {
  sessionId: string;
  sessionName: string;
  home: string;
}): Record<string, string> {
  return {
    [LABEL_MANAGED]: 'true',
    [LABEL_SESSION_ID]: opts.sessionId,
    [LABEL_SESSION_NAME]: opts.sessionName,
    [LABEL_HOME]: opts.home,
  };
}

/** A session's work collector: its session's labels, marked so nothing takes it for the session's container. */
export function collectorLabels(opts: Parameters<typeof sessionLabels>[0]): Record<string, string> {
  return { ...sessionLabels(opts), [LABEL_ROLE]: ROLE_COLLECTOR };
}

/** Engine filter for "berth's containers of this BERTH_HOME". */
export function managedFilter(home: string): Record<string, string[]> {
  return { label: [`${LABEL_MANAGED}=true`, `${LABEL_HOME}=${home}`] };
}
