import { lazy, Suspense, useMemo, useState } from 'react';
import { ApiError } from '../../api/api-error';
import type { Problem, Session } from '../../api/types';
import { EmptyState } from '../../components/empty-state';
import { Loading } from '../../components/loading';
import { ProblemMessage } from '../../components/problem-message';
import type { ShellEvents } from './shell-terminal';

const ShellTerminal = lazy(() => import('./shell-terminal'));

type Phase =
  | { phase: 'idle' }
  | { phase: 'connecting' }
  | { phase: 'open' }
  | { phase: 'exited'; code: number }
  | { phase: 'failed'; problem: Problem }
  | { phase: 'closed'; code: number };

/** A shell in the session's container, opened when asked for; the output stays after it ends. */
export function TerminalPanel({ session }: { session: Session }) {
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
    <section className="panel" aria-labelledby="terminal-title">
      <div className="panel-head">
        <h2 id="terminal-title" className="panel-title">
          Shell
        </h2>
        <span className="terminal-status" aria-live="polite">
          {phase.phase === 'connecting' && 'Connecting…'}
          {phase.phase === 'open' && 'Connected'}
          {phase.phase === 'exited' && `The shell exited (code ${phase.code}).`}
          {phase.phase === 'closed' && 'The connection closed.'}
        </span>
        {phase.phase !== 'idle' && phase.phase !== 'connecting' && phase.phase !== 'open' && running && (
          <button type="button" className="button button-small" onClick={open}>
            Open a new shell
          </button>
        )}
      </div>
      {!running && attempt === 0 && (
        <EmptyState title="A shell opens while the session runs.">
          {session.status === 'paused' && <p>Resume the session to open one.</p>}
          {session.status === 'stopped' && <p>Start the session to open one.</p>}
        </EmptyState>
      )}
      {running && phase.phase === 'idle' && (
        <div className="terminal-idle">
          <p>
            A shell in <code>/workspace</code>, as the session's user.
          </p>
          <button type="button" className="button button-primary" onClick={open}>
            Open a shell
          </button>
        </div>
      )}
      {phase.phase === 'failed' && (
        <ProblemMessage
          title="Could not open a shell"
          error={new ApiError(phase.problem, phase.problem.status)}
          onRetry={running ? open : undefined}
        />
      )}
      {attempt > 0 && phase.phase !== 'failed' && (
        <Suspense fallback={<Loading label="Loading the terminal…" />}>
          <ShellTerminal key={attempt} name={session.name} events={events} />
        </Suspense>
      )}
    </section>
  );
}
