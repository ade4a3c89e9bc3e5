import { lazy, Suspense, useMemo, useState } from 'react';
import { ApiError } from '../../api/api-error';
import type { Problem, Session } from '../../api/types';
import { EmptyState } from '../../components/empty-state';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import type { ShellEvents, TerminalTarget } from './shell-terminal';

const ShellTerminal = lazy(() => import('./shell-terminal'));

type Phase =
  | { phase: 'idle' }
  | { phase: 'connecting' }
  | { phase: 'open' }
  | { phase: 'exited'; code: number }
  | { phase: 'failed'; problem: Problem }
  | { phase: 'closed'; code: number };

/** What each kind of terminal is called where the panel speaks of it. */
const WORDS = {
  shell: {
    title: 'Shell',
    open: 'Open a shell',
    again: 'Open a new shell',
    ended: 'The shell exited',
    failed: 'Could not open a shell',
    waiting: 'A shell opens while the session runs.',
  },
  agent: {
    title: 'Agent',
    open: 'Attach to the agent',
    again: 'Attach again',
    ended: 'The agent’s terminal ended',
    failed: 'Could not attach to the agent',
    waiting: 'The agent’s terminal opens while the session runs.',
  },
} as const;

/**
 * A terminal in the session's container, opened when asked for; the output stays after it ends.
 * `shell` starts a new shell each time; `agent` joins the agent's own terminal, and leaving it
 * (closing the tab, another view) leaves the agent running.
 */
export function TerminalPanel({ session, target = 'shell' }: { session: Session; target?: TerminalTarget }) {
  const words = WORDS[target];
  const [phase, setPhase] = useState<Phase>({ phase: 'idle' });
  const [attempt, setAttempt] = useState(0);
  const open = () => {
    setPhase({ phase: 'connecting' });
    setAttempt((n) => n + 1);
  };
  const events = useMemo<ShellEvents>(
    () => ({
      onOpen: () => setPhase({ phase: 'open' }),
      onExit: (code) => setPhase({ phase: 'exited', code }),
      onProblem: (problem) => setPhase({ phase: 'failed', problem }),
      // After an exit or an error the close is expected; otherwise the link dropped.
      onClose: (code) =>
        setPhase((p) => (p.phase === 'connecting' || p.phase === 'open' ? { phase: 'closed', code } : p)),
    }),
    [],
  );

  const running = session.status === 'running';
  return (
    <section className="panel" aria-labelledby={`${target}-terminal-title`}>
      <div className="panel-head">
        <h2 id={`${target}-terminal-title`} className="panel-title">
          {words.title}
        </h2>
        <span className="terminal-status" aria-live="polite">
          {phase.phase === 'connecting' && 'Connecting…'}
          {phase.phase === 'open' && 'Connected'}
          {phase.phase === 'exited' && `${words.ended} (code ${phase.code}).`}
          {phase.phase === 'closed' && 'The connection closed.'}
        </span>
        {phase.phase !== 'idle' && phase.phase !== 'connecting' && phase.phase !== 'open' && running && (
          <button type="button" className="button button-small" onClick={open}>
            {words.again}
          </button>
        )}
      </div>
      {!running && attempt === 0 && (
        <EmptyState title={words.waiting}>
          {session.status === 'paused' && <p>Resume the session to open it.</p>}
          {session.status === 'stopped' && <p>Start the session to open it.</p>}
        </EmptyState>
      )}
      {running && phase.phase === 'idle' && (
        <div className="terminal-idle">
          {target === 'agent' ? (
            <p>
              <code>{session.agent}</code> runs in this terminal: what you type reaches it. Leaving the
              terminal leaves the agent running.
            </p>
          ) : (
            <p>
              A shell in <code>/workspace</code>, as the session's user.
            </p>
          )}
          <button type="button" className="button button-primary" onClick={open}>
            {words.open}
          </button>
        </div>
      )}
      {phase.phase === 'failed' && (
        <ProblemMessage
          title={words.failed}
          error={new ApiError(phase.problem, phase.problem.status)}
          onRetry={running ? open : undefined}
        />
      )}
      {attempt > 0 && phase.phase !== 'failed' && (
        <Suspense fallback={<Loading label="Loading the terminal…" />}>
          <ShellTerminal key={attempt} name={session.name} target={target} events={events} />
        </Suspense>
      )}
    </section>
  );
}
