import { readFile } from 'node:fs/promises';
import { parseDuration, parseSize } from '@berth/core/config';
import { type Command, InvalidArgumentError } from 'commander';
import { action, sessionJson } from '../action.js';
import { connect } from '../daemon-client.js';
import { CliError, EXIT, printJson, progress } from '../output.js';
import { readPrompt, repoArgument } from './dispatch.js';

/** `--env KEY=VALUE`, repeatable (new and dispatch share it). */
export function collectEnv(value: string, prev: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  // Thrown while commander parses: its own error type, so it is a usage error (exit 2), not a crash.
  if (eq <= 0) throw new InvalidArgumentError('expected KEY=VALUE, e.g. --env FOO=bar');
  return { ...prev, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** `--autonomy full|ask` as the API takes it; only an agent session has one. */
export function autonomyOption(
  o: { autonomy?: unknown },
  agentSession: boolean,
): { autonomy?: 'full' | 'ask' } {
  if (o.autonomy === undefined) return {};
  const a = String(o.autonomy);
  if (a !== 'full' && a !== 'ask') {
    throw new CliError(
      `--autonomy ${a}: expected full or ask`,
      EXIT.usage,
      '`full` (the default): no permission prompts, the container is the sandbox; `ask`: the agent asks you',
    );
  }
  if (!agentSession) {
    throw new CliError(
      '--autonomy is for agent sessions',
      EXIT.usage,
      'add --agent PROFILE (and --prompt TEXT), or leave --autonomy out',
    );
  }
  return { autonomy: a };
}

/** `--allow HOST`, repeatable (new and dispatch share it). */
export function collectAllow(value: string, prev: string[]): string[] {
  return [...prev, value];
}

/** `--egress MODE` and `--allow HOST…` as the API takes them; the daemon checks the hosts. */
export function egressOptions(o: { egress?: unknown; allow?: unknown }): {
  egress?: 'open' | 'allowlist' | 'none';
  allow?: string[];
} {
  const allow = (o.allow as string[] | undefined) ?? [];
  if (o.egress === undefined) return allow.length ? { allow } : {};
  const mode = String(o.egress);
  if (mode !== 'open' && mode !== 'allowlist' && mode !== 'none') {
    throw new CliError(
      `--egress ${mode}: expected allowlist, open or none`,
      EXIT.usage,
      '`allowlist`: the package registries, the git host, the model APIs and what --allow adds; `open`: any public host; `none`: nothing (never this machine or its network)',
    );
  }
  if (allow.length && mode !== 'allowlist') {
    throw new CliError(
      `--allow is for --egress allowlist, not ${mode}`,
      EXIT.usage,
      'leave out --allow, or use --egress allowlist',
    );
  }
  return { egress: mode, ...(allow.length ? { allow } : {}) };
}

/** `--egress MODE` and `--allow HOST…` on a command (new and dispatch share them). */
export function withEgressOptions(cmd: Command): Command {
  return cmd
    .option(
      '--egress <mode>',
      'what the session may reach: allowlist (known hosts), open (any public host) or none; never this machine',
    )
    .option(
      '--allow <host>',
      'a host its allow-list adds, e.g. packages.example.org or *.example.org (repeatable)',
      collectAllow,
      [],
    );
}

/** The key's text from a file or stdin (`-`); never echoed. */
export async function readSshKey(source: string): Promise<string> {
  if (source === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch (err) {
    throw new CliError(
      `--ssh-key ${source}: ${(err as NodeJS.ErrnoException).code ?? 'cannot read it'}`,
      EXIT.usage,
    );
  }
}

/** `--idle-timeout` and `--idle-action` as the API takes them (new and update share them). */
export function idleOptions(o: Record<string, unknown>): {
  idleTimeoutSeconds?: number;
  idleAction?: 'pause' | 'stop';
} {
  return {
    ...(o.idleTimeout !== undefined
      ? { idleTimeoutSeconds: parseDuration(String(o.idleTimeout), '--idle-timeout') }
      : {}),
    ...(o.idleAction !== undefined ? { idleAction: String(o.idleAction) as 'pause' | 'stop' } : {}),
  };
}

/** `--preview`, `--preview-command`, `--preview-port` → the request's `preview`. */
export function previewOption(o: Record<string, unknown>): {
  preview?: true | { command?: string[]; port?: number };
} {
  const command = o.previewCommand === undefined ? undefined : ['sh', '-c', String(o.previewCommand)];
  const port = o.previewPort as number | undefined;
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) {
    throw new CliError('--preview-port must be a port number between 1 and 65535', EXIT.usage);
  }
  if (command === undefined && port === undefined) return o.preview ? { preview: true } : {};
  return { preview: { ...(command ? { command } : {}), ...(port !== undefined ? { port } : {}) } };
}

export function register(program: Command): void {
  withEgressOptions(program.command('new'))
    .description('create a session: a branch berth/NAME, its own working copy, and a container')
    .argument('<name>', 'session name (lowercase slug)')
    .requiredOption(
      '--repo <path|url>',
      'git repository to branch from: a local path, or a remote URL (https://…, ssh://…, user@host:path, file://…)',
    )
    .option('--branch <branch>', 'base branch (default: the repo’s current branch)')
    .option('--image <image>', 'session image (default: $BERTH_IMAGE or berth/session:bookworm)')
    .option('--cpus <n>', 'CPU limit, e.g. 1.5', Number)
    .option('--memory <size>', 'memory limit, e.g. 512m or 2g')
    .option('--pids <n>', 'process limit (default: $BERTH_DEFAULT_PIDS or 512)', Number)
    .option('--kind <kind>', 'shell, agent or preview: picks the default limits and idle timeout')
    .option('--runtime <runtime>', 'runc (default) or gvisor, where the engine has runsc registered')
    .option('--idle-timeout <duration>', 'pause or stop after this long idle, e.g. 10m or 1h; 0 never')
    .option('--idle-action <action>', 'what an idle session gets: pause (default) or stop')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', collectEnv, {})
    .option('--team <team>', 'share the session with a team you belong to')
    .option('--description <text>', 'what the session is for')
    .option('--ssh-key <file>', 'private key for an ssh remote (`-` reads it from stdin); kept encrypted')
    .option('--git-user <name>', 'author name of the session’s commits (with --git-email)')
    .option('--git-email <email>', 'author email of the session’s commits (with --git-user)')
    .option(
      '--preview',
      "run the project's dev server and publish it (detected: Vite, Astro, Next, Node, Python, static)",
    )
    .option('--preview-command <cmd>', 'the dev server command instead of the detected one (run with sh -c)')
    .option('--preview-port <port>', 'the port it listens on inside the session', Number)
    .option('--agent <profile>', 'run this agent profile in the session’s terminal (see `berth auth status`)')
    .option('--prompt <text>', 'the agent’s first prompt')
    .option('--prompt-file <file>', 'read the first prompt from a file (- for stdin)')
    .option(
      '--autonomy <mode>',
      'with --agent: full (default: no permission prompts, the container is the sandbox) or ask',
    )
    .option('--json', 'print the session as JSON')
    .action(
      action(async (name: string, o: Record<string, unknown>) => {
        if ((o.gitUser === undefined) !== (o.gitEmail === undefined)) {
          throw new CliError('--git-user and --git-email go together', EXIT.usage);
        }
        const sshKey = o.sshKey ? await readSshKey(String(o.sshKey)) : undefined;
        const prompt = readPrompt(o as { prompt?: string; promptFile?: string });
        const autonomy = autonomyOption(o, o.agent !== undefined || prompt !== undefined);
        const client = await connect();
        const session = await client.createSession(
          {
            name,
            repo: repoArgument(String(o.repo)),
            ...(o.branch ? { branch: String(o.branch) } : {}),
            ...(o.image ? { image: String(o.image) } : {}),
            ...(o.cpus !== undefined ? { cpus: o.cpus as number } : {}),
            ...(o.memory ? { memoryBytes: parseSize(String(o.memory)) } : {}),
            ...(o.pids !== undefined ? { pids: o.pids as number } : {}),
            ...(o.kind ? { kind: String(o.kind) as 'shell' | 'agent' | 'preview' } : {}),
            ...(o.runtime ? { runtime: String(o.runtime) as 'runc' | 'gvisor' } : {}),
            ...idleOptions(o),
            env: o.env as Record<string, string>,
            ...(o.team ? { team: String(o.team) } : {}),
            ...(o.description ? { description: String(o.description) } : {}),
            ...(sshKey !== undefined ? { sshKey } : {}),
            ...(o.gitUser !== undefined
              ? { gitUser: { name: String(o.gitUser), email: String(o.gitEmail) } }
              : {}),
            ...previewOption(o),
            ...(o.agent ? { agent: String(o.agent) } : {}),
            ...(prompt !== undefined ? { prompt } : {}),
            ...autonomy,
            ...egressOptions(o),
          },
          o.json ? undefined : progress,
        );
        if (o.json) printJson(sessionJson(session));
        else {
          process.stdout.write(`session ${session.name} is ${session.status} on branch ${session.branch}\n`);
          if (session.preview?.hostPort) {
            process.stdout.write(
              `  preview (${session.preview.projectType}) on http://127.0.0.1:${session.preview.hostPort}/    \`berth preview ${session.name} --open\`\n`,
            );
          }
          if (session.kind === 'agent') {
            process.stdout.write(`  berth attach ${session.name}    watch and drive ${session.agent}\n`);
          }
          if (session.egress) {
            process.stdout.write(
              `  berth egress ${session.name}    what it reached and was refused (egress ${session.egress.mode})\n`,
            );
          }
          process.stdout.write(`  berth shell ${session.name}    open a shell in /workspace\n`);
          process.stdout.write(
            `  berth finish ${session.name} -m "message"    commit the work onto ${session.branch}\n`,
          );
        }
        return EXIT.ok;
      }),
    );
}
