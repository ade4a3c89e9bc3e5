import type { Session } from '../api/types';
import { Link } from '../app/navigation';
import { paths } from '../app/routes';
import { formatAge } from '../format/age';

type AgentState = NonNullable<Session['agentStatus']>;

const WORDS: Record<AgentState, string> = {
  starting: 'starting',
  working: 'working',
  'needs-input': 'needs input',
  idle: 'idle',
  exited: 'exited',
};

export const GUESSED = 'guessed from terminal activity';

/** The words an agent state is shown with: "needs input", "exited 1". */
export function agentStatusWords(state: AgentState, exitCode: number | null): string {
  return state === 'exited' && exitCode !== null ? `exited ${exitCode}` : WORDS[state];
}

/**
 * What a session's agent is doing: the word (a colour too, never only the colour). A state the
 * launcher guessed (a profile without signals) has a dotted edge and says so.
 */
export function AgentStatusBadge({ session }: { session: Session }) {
  const state = session.agentStatus;
  if (!state) return null;
  const guess = session.agentStatusSource === 'guess';
  const failed = state === 'exited' && session.agentExitCode !== null && session.agentExitCode !== 0;
  return (
    <span
      className={`status agent-status agent-status-${failed ? 'failed' : state}${guess ? ' agent-status-guess' : ''}`}
      title={guess ? GUESSED : undefined}
    >
      <span className="status-dot" aria-hidden="true" />
      <span className="visually-hidden">agent </span>
      <span>{agentStatusWords(state, session.agentExitCode)}</span>
      {guess && <span className="visually-hidden"> ({GUESSED})</span>}
    </span>
  );
}

/** The mark of an agent waiting for its person: a link to its session, named for it. */
export function NeedsYouMark({ session }: { session: Session }) {
  if (session.agentStatus !== 'needs-input') return null;
  return (
    <Link to={paths.session(session.name)} className="needs-you" aria-label={`${session.name} needs you`}>
      needs you
    </Link>
  );
}

/** How long the agent has been in its state: "for 5 min", "just now". */
export function AgentStatusSince({ session, now }: { session: Session; now: number }) {
  const since = session.agentStatusSince;
  if (!session.agentStatus || !since) return null;
  const age = formatAge(since, now);
  return (
    <time className="agent-since" dateTime={since} title={`since ${since}`}>
      {age === 'just now' || age === '—' ? age : `for ${age}`}
    </time>
  );
}
