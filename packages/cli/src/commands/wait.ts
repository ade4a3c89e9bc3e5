import {
  ApiError,
  DurationError,
  formatDuration,
  MAX_WAIT_SECONDS,
  parseDuration,
  type Session,
  WAIT_EXIT,
  WAITABLE_STATES,
  type WaitableState,
} from '@berth/api';
import type { BerthClient } from '@berth/api/node';
import type { Command } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson, yellow } from '../output.js';

/** `--for idle --for needs-input` or `--for idle,needs-input`. */
function collectStates(value: string, prev: string[]): string[] {
  return [...prev, ...value.split(',').map((v) => v.trim())];
}

function checkStates(raw: string[]): WaitableState[] {
  const wanted = new Set<WaitableState>();
  for (const v of raw) {
    if (!(WAITABLE_STATES as readonly string[]).includes(v)) {
      throw new CliError(
        `--for ${JSON.stringify(v)}: not a state berth waits for`,
        EXIT.usage,
        `give one or more of ${WAITABLE_STATES.join(', ')} (repeat --for, or separate with commas)`,
      );
    }
    wanted.add(v as WaitableState);
  }
  return [...wanted];
}

/** Seconds to wait in all, or null for as long as it takes (`--timeout` left out, 0 or `never`). */
function totalSeconds(raw: string | undefined): number | null {
  if (raw === undefined) return null;
  try {
    return parseDuration(raw, '--timeout') || null;
  } catch (err) {
    if (err instanceof DurationError) throw new CliError(err.message, EXIT.usage, err.hint);
    throw err;
  }
}

const CONNECTION_LOST = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOENT', 'EPIPE']);

/** Long-polls of at most MAX_WAIT_SECONDS each until a state comes, or the whole timeout is spent. */
async function waitLoop(
  client: BerthClient,
  name: string,
  states: WaitableState[],
  total: number | null,
): Promise<{ reached: WaitableState | 'timeout'; session: Session }> {
  const deadline = total === null ? null : Date.now() + total * 1000;
  for (;;) {
    const left = deadline === null ? MAX_WAIT_SECONDS : Math.ceil((deadline - Date.now()) / 1000);
    let r: { reached: WaitableState | 'timeout'; session: Session };
    try {
      r = await client.waitForAgent(name, {
        ...(states.length > 0 ? { for: states } : {}),
        timeoutSeconds: Math.max(1, Math.min(MAX_WAIT_SECONDS, left)),
      });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!(err instanceof ApiError) && code && CONNECTION_LOST.has(code)) {
        throw new CliError(
          `the berth daemon went away while waiting for ${name} (${code})`,
          EXIT.daemon,
          `run \`berth wait ${name}\` again once a daemon runs (\`berth daemon status\`)`,
        );
      }
      throw err;
    }
    if (r.reached !== 'timeout') return r;
    if (deadline !== null && Date.now() >= deadline - 500) return r;
  }
}

/** One line: `fix-login: idle`, `fix-login: exited (code 1)`, `fix-login: working (timed out after 1m)`. */
function line(r: { reached: WaitableState | 'timeout'; session: Session }, total: number | null): string {
  const s = r.session;
  switch (r.reached) {
    case 'timeout':
      return `${s.name}: ${s.agentStatus ?? 'no status'} (timed out after ${formatDuration(total ?? 0)})`;
    case 'exited':
      return `${s.name}: exited${s.agentExitCode === null ? '' : ` (code ${s.agentExitCode})`}`;
    case 'needs-input':
      return `${s.name}: ${yellow('needs-input')}    \`berth attach ${s.name}\` to answer it`;
    default:
      return `${s.name}: ${r.reached}`;
  }
}

export function register(program: Command): void {
  program
    .command('wait')
    .description(
      "wait until an agent session's agent is idle, needs input or has exited; the exit code says which (0, 10, 11; 12 timed out)",
    )
    .argument('<name>', 'session name or id')
    .option(
      '--for <state>',
      `what to wait for: ${WAITABLE_STATES.join(', ')} (repeatable or a comma list; default any of them)`,
      collectStates,
      [],
    )
    .option(
      '--timeout <duration>',
      'give up after this long, e.g. 90s or 10m (default: wait as long as it takes)',
    )
    .option('--json', 'print {reached, session} as JSON')
    .action(
      action(async (name: string, o: { for: string[]; timeout?: string; json?: boolean }) => {
        const states = checkStates(o.for);
        const total = totalSeconds(o.timeout);
        const r = await waitLoop(await connect(), name, states, total);
        if (o.json) printJson({ reached: r.reached, session: sessionJson(r.session) });
        else process.stdout.write(`${line(r, total)}\n`);
        return WAIT_EXIT[r.reached];
      }),
    );
}
