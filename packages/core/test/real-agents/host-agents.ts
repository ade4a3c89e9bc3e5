import { execFile, spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { vi } from 'vitest';
import { type AgentSeed, seededContent } from '../../src/agents/agent-seeds.js';
import { AGENT_TOOLS } from '../../src/agents/agent-tools.js';

const run = promisify(execFile);

/** The agents this suite runs, at the versions berth pins for sessions (one table: agent-tools). */
export const HOST_AGENTS = ['claude', 'codex', 'gemini', 'opencode'] as const;
export type HostAgent = (typeof HOST_AGENTS)[number];
const PINNED = HOST_AGENTS.map((bin) => {
  const tool = AGENT_TOOLS.find((t) => t.bin === bin);
  if (!tool) throw new Error(`${bin} is not in AGENT_TOOLS`);
  return tool;
});

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** Reused across runs: the native binaries are several hundred MB. */
export const AGENTS_CACHE = join(ROOT, 'node_modules/.cache/berth/agents-host');
export const AGENTS_BIN = join(AGENTS_CACHE, 'node_modules/.bin');

/** Sessions run agents as uid 1000; here too, when the tests run as root (Claude Code refuses root). */
export const AGENT_UID = 1000;
const asRoot = process.getuid?.() === 0;

function installedVersion(pkg: string): string | undefined {
  try {
    const manifest = JSON.parse(
      readFileSync(join(AGENTS_CACHE, 'node_modules', pkg, 'package.json'), 'utf8'),
    );
    return manifest.version as string;
  } catch {
    return undefined;
  }
}

/**
 * Installs the pinned CLIs into the cache once (npm brings the native binary of this platform
 * through each package's optionalDependencies, and Claude Code's install script puts it in
 * place of its bin); a later run finds them there.
 */
export async function ensureAgentsInstalled(): Promise<void> {
  const current = PINNED.every(
    (t) => installedVersion(t.package) === t.version && existsSync(join(AGENTS_BIN, t.bin)),
  );
  if (current) return;
  mkdirSync(AGENTS_CACHE, { recursive: true });
  const specs = PINNED.map((t) => `${t.package}@${t.version}`);
  await run('npm', ['install', '--prefix', AGENTS_CACHE, '--no-audit', '--no-fund', ...specs], {
    timeout: 600_000,
    maxBuffer: 16 * 1024 * 1024,
  });
}

/** Makes `dir` (and what is in it) the agent user's own. */
export function giveToAgent(dir: string): void {
  if (asRoot) spawnSync('chown', ['-R', `${AGENT_UID}:${AGENT_UID}`, dir]);
}

/** Writes a seed's files as the launcher would: merged into, or over, what is there. */
export function writeSeed(seed: AgentSeed): void {
  for (const file of seed.files) {
    mkdirSync(dirname(file.path), { recursive: true, mode: 0o700 });
    const current = existsSync(file.path) ? readFileSync(file.path, 'utf8') : undefined;
    writeFileSync(file.path, seededContent(file, current), { mode: file.mode });
    if (asRoot) chownSync(file.path, AGENT_UID, AGENT_UID);
  }
}

/** argv that runs `argv` as the agent user (setpriv when root; as is otherwise). */
export function asAgent(argv: string[]): string[] {
  return asRoot
    ? ['setpriv', `--reuid=${AGENT_UID}`, `--regid=${AGENT_UID}`, '--clear-groups', ...argv]
    : argv;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the agent's CLI with stdin closed, killed after `timeoutMs`. */
export function runAgent(
  argv: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  const [cmd, ...args] = asAgent(argv);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * An agent's interactive TUI in a detached tmux session on a socket of its own, as berth's
 * launcher runs it: nothing is typed into it unless the test does.
 */
export class TmuxAgent {
  private pid = 0;

  private constructor(
    private readonly socket: string,
    private readonly env: Record<string, string>,
  ) {}

  static async start(
    argv: string[],
    opts: { cwd: string; env: Record<string, string>; socketDir: string },
  ): Promise<TmuxAgent> {
    const socket = join(opts.socketDir, 'tmux.sock');
    const t = new TmuxAgent(socket, opts.env);
    // tmux runs the command through a shell: quote every word.
    const command = argv.map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(' ');
    await t.tmux(
      ['new-session', '-d', '-s', 'agent', '-x', '160', '-y', '50', '-c', opts.cwd, command],
      opts.cwd,
    );
    t.pid = Number((await t.tmux(['display-message', '-p', '-t', 'agent', '#{pane_pid}'])).trim());
    return t;
  }

  private async tmux(args: string[], cwd?: string): Promise<string> {
    const [cmd, ...rest] = asAgent(['tmux', '-S', this.socket, ...args]);
    const { stdout } = await run(cmd as string, rest, { env: this.env, cwd, timeout: 10_000 });
    return stdout;
  }

  /** The screen as text. */
  screen(): Promise<string> {
    return this.tmux(['capture-pane', '-p', '-J', '-t', 'agent']).catch(() => '');
  }

  /** Types keys (tmux key names: `Enter`, `Down`) into the agent's terminal. */
  async send(...keys: string[]): Promise<void> {
    await this.tmux(['send-keys', '-t', 'agent', ...keys]);
  }

  /**
   * Puts `text` into the agent's input as one bracketed paste (the TUIs ask for it; typed
   * keys arriving as fast as tmux sends them look like a paste to Codex, which then takes
   * the next Enter as a newline), waits until the screen shows it, then presses Enter.
   */
  async type(text: string): Promise<void> {
    await this.tmux(['set-buffer', '-b', 'berth-test', '--', text]);
    await this.tmux(['paste-buffer', '-p', '-d', '-b', 'berth-test', '-t', 'agent']);
    await until(
      async () => (await this.screen()).includes(text),
      10_000,
      () => this.screen(),
    );
    await this.send('Enter');
  }

  /** Whether the agent's process (the session's only pane) is still there. */
  async alive(): Promise<boolean> {
    try {
      await this.tmux(['has-session', '-t', 'agent']);
      return true;
    } catch {
      return false;
    }
  }

  /** Ends the tmux server and waits (up to 5 s, then SIGKILL) for the agent's process to be gone. */
  async kill(): Promise<void> {
    await this.tmux(['kill-server']).catch(() => {});
    const deadline = Date.now() + 5_000;
    while (this.pid > 0 && processExists(this.pid)) {
      if (Date.now() > deadline) {
        process.kill(this.pid, 'SIGKILL');
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `check` every 200 ms until it holds, or throws after `ms` with `describe()`'s text. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  describe: () => Promise<string> | string,
): Promise<void> {
  try {
    await vi.waitFor(
      async () => {
        if (!(await check())) throw new Error('not yet');
      },
      { timeout: ms, interval: 200 },
    );
  } catch {
    throw new Error(`timed out after ${ms} ms: ${await describe()}`);
  }
}
