/**
 * What an agent session's agent is doing, as every client reads it. Pure data: the daemon
 * derives it from the agent's own signals (its hooks or notify program) and its process, never
 * from the model or the words on its screen.
 *
 *   starting     its process is starting; no signal yet
 *   working      on a prompt (a turn is under way)
 *   needs-input  waiting for a person: a permission question, or a question to the user
 *   idle         its turn is done; waiting for the next prompt
 *   exited       its process ended (agentExitCode says how)
 */
export const AGENT_STATES = ['starting', 'working', 'needs-input', 'idle', 'exited'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

/**
 * Where the state came from: `signals` (the agent's hooks, notify program and process) or
 * `guess` (a profile without such signals: the launcher's view of its process only).
 */
export const AGENT_STATUS_SOURCES = ['signals', 'guess'] as const;
export type AgentStatusSource = (typeof AGENT_STATUS_SOURCES)[number];

export function isAgentState(v: unknown): v is AgentState {
  return typeof v === 'string' && (AGENT_STATES as readonly string[]).includes(v);
}

/** The states `berth wait` can wait for: those an agent stays in until something happens. */
export const WAITABLE_STATES = ['idle', 'needs-input', 'exited'] as const satisfies readonly AgentState[];
export type WaitableState = (typeof WAITABLE_STATES)[number];

/**
 * `berth wait`'s exit codes, one per state it ended on, so a script can branch: 0 idle (the
 * turn is done), 10 needs-input, 11 exited; 12 when the timeout came first. They stay clear of
 * the CLI's error codes (1-8).
 */
export const WAIT_EXIT: Record<WaitableState | 'timeout', number> = {
  idle: 0,
  'needs-input': 10,
  exited: 11,
  timeout: 12,
};

/** The first line of a prompt, as a session's `task`: what a card or a list shows. */
export function taskOf(prompt: string | null | undefined): string | null {
  if (!prompt) return null;
  const line = prompt.split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  // Shown in terminals (`berth show`, `ls`): no control character (an escape sequence) survives.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it removes
  const t = line.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').trim();
  if (!t) return null;
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}
