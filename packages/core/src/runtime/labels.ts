/** The one place that owns berth's label names: berth only ever touches objects carrying them. */
export const LABEL_MANAGED = 'dev.berth.managed';
export const LABEL_SESSION_ID = 'dev.berth.session.id';
export const LABEL_SESSION_NAME = 'dev.berth.session.name';
export const LABEL_HOME = 'dev.berth.home';

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

/** Engine filter for "berth's containers of this BERTH_HOME". */
export function managedFilter(home: string): Record<string, string[]> {
  return { label: [`${LABEL_MANAGED}=true`, `${LABEL_HOME}=${home}`] };
}
