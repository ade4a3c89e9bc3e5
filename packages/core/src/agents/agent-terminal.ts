/**
 * Talking to a running agent through the launcher's tmux session: waiting for its terminal to come
 * up after the first start, typing a prompt into it, waiting for the agent to reach a state, and
 * attaching a TTY to it. Each checks the session runs an agent that can take it first, so the
 * error says what to do instead. AgentSessions delegates its send, waitFor, awaitReady and attach
 * here.
 */
import { randomBytes } from 'node:crypto';
import type { WaitableState } from '@berth/api/agent-status';
import { EngineError, IllegalTransition, InvalidInput } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import type { ContainerRuntime, InteractiveExec } from '../runtime/runtime.js';
import type { Session } from '../session/session.js';
import { requireContainer } from '../session/state-machine.js';
import { LAUNCHER, READY_NO_TMUX, TMUX_TMPDIR } from './agent-launcher.js';
import { checkPrompt } from './agent-profile.js';
import type { AgentStatusTracker, WaitOutcome } from './agent-status.js';

export class AgentTerminal {
  constructor(
    private readonly deps: { runtime: ContainerRuntime; status: AgentStatusTracker; logger: Logger },
  ) {}

  /** After the first start: the agent's tmux session is up, or a clear reason why not. */
  async awaitReady(containerId: string, session: Session): Promise<void> {
    const r = await this.deps.runtime.exec(containerId, {
      cmd: ['sh', LAUNCHER, 'ready'],
      user: session.user,
      env: { TMUX_TMPDIR },
    });
    if (r.exitCode === 0) return;
    if (r.exitCode === READY_NO_TMUX) {
      throw new InvalidInput(`image ${session.image} has no tmux: an agent session runs its agent in tmux`, {
        hint: 'use an image with tmux, such as berth/session:bookworm (leave out --image), or add tmux to yours',
      });
    }
    throw new EngineError(
      `the agent's terminal did not start (launcher exit ${r.exitCode}): ${r.stderr.toString('utf8').slice(0, 300)}`,
      { hint: `look at \`berth logs ${session.name}\`` },
    );
  }

  /**
   * Gives the running agent its next prompt, as typed into its terminal (one bracketed paste,
   * then Enter), and counts it as working.
   */
  async send(s: Session, text: string): Promise<void> {
    if (!s.agent) {
      throw new IllegalTransition(`session '${s.name}' runs no agent`, {
        hint: `run commands with \`berth exec ${s.name} -- …\` instead`,
      });
    }
    if (s.status !== 'running' || !s.containerId) {
      throw new IllegalTransition(`session '${s.name}' is ${s.status}: its agent cannot take a prompt`, {
        hint:
          s.status === 'paused'
            ? `resume it first: \`berth resume ${s.name}\``
            : `start it first: \`berth start ${s.name}\``,
      });
    }
    if (s.agentStatus === 'exited') {
      throw new IllegalTransition(`the agent of session '${s.name}' has exited: nothing reads a prompt`, {
        hint: `start it again with \`berth restart ${s.name}\``,
      });
    }
    const prompt = checkPrompt(text);
    if (prompt.trim() === '') throw new InvalidInput('a prompt to send is text, not empty');
    // The launcher says `working` as the prompt goes in, before anything the agent says after.
    const r = await this.deps.runtime.exec(s.containerId, {
      cmd: ['sh', LAUNCHER, 'send'],
      user: s.user,
      env: { TMUX_TMPDIR },
      stdin: Buffer.from(prompt, 'utf8'),
    });
    await this.deps.status.refresh(s.id);
    if (r.exitCode !== 0) {
      // It may have said `working` before the paste failed: back to what it was.
      if (s.agentStatus) await this.deps.status.restore(s.id, s.agentStatus);
      throw new EngineError(`the agent's terminal did not take the prompt (exit ${r.exitCode})`, {
        hint: `look at its screen with \`berth attach ${s.name}\``,
      });
    }
  }

  /** Waits until the session's agent is in one of `states` (see AgentStatusTracker.waitFor). */
  waitFor(s: Session, states: readonly WaitableState[], timeoutMs: number): Promise<WaitOutcome> {
    if (!s.agent) {
      throw new IllegalTransition(`session '${s.name}' runs no agent`, {
        hint: 'wait for agent sessions only (`berth ls` shows an AGENT column)',
      });
    }
    return this.deps.status.waitFor(s.id, states, timeoutMs);
  }

  /** A TTY attached to the agent's tmux session; closing it detaches and leaves the agent running. */
  async attach(s: Session, opts: { cols?: number; rows?: number } = {}): Promise<InteractiveExec> {
    if (!s.agent) {
      throw new IllegalTransition(`session '${s.name}' runs no agent`, {
        hint: `open a shell instead: \`berth shell ${s.name}\``,
      });
    }
    const { containerId } = requireContainer(s);
    const id = randomBytes(8).toString('hex');
    const term = await this.deps.runtime.execInteractive(containerId, {
      cmd: ['sh', LAUNCHER, 'attach', id],
      user: s.user,
      workingDir: '/workspace',
      env: { TERM: 'xterm-256color', TMUX_TMPDIR },
      ...(opts.cols ? { cols: opts.cols } : {}),
      ...(opts.rows ? { rows: opts.rows } : {}),
    });
    const detach = () =>
      this.deps.runtime
        .exec(containerId, { cmd: ['sh', LAUNCHER, 'detach', id], user: s.user, env: { TMUX_TMPDIR } })
        .catch((err) => this.deps.logger.debug({ err, session: s.id }, 'detach after attach failed'));
    term.stream.once('close', () => void detach());
    return term;
  }
}
