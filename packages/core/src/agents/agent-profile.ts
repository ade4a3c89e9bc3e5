import { readFile } from 'node:fs/promises';
import { type Static, Type } from 'typebox';
import { Compile } from 'typebox/compile';
import { InvalidInput, NotFound } from '../errors/berth-error.js';
import type { SeededAgent } from './agent-seeds.js';

/**
 * How the prompt reaches the agent's command: as its last argument (`operand`: after `--`, so a
 * prompt starting with `-` is text, never one of the agent's options), as a flag's value (one
 * `--flag=PROMPT` argument, for the same reason), or not at all.
 */
export type PromptPassing = 'arg' | 'operand' | 'none' | { flag: string };

/** A host directory of credentials (such as ~/.claude) handed to the session read-only. */
export interface CredentialDir {
  /** On the machine that runs `berth auth setup`; `~/` is that user's home. */
  from: string;
  /** Absolute path in the container. */
  to: string;
  /** Top-level names to copy (all when absent): keeps history and caches out of the secret. */
  include?: string[];
  /**
   * `mount` (default): the directory itself is mounted read-only at `to`. `link`: it is mounted
   * read-only at /run/berth/credentials and each entry is symlinked into `to`, which stays a
   * writable directory of the state volume (agents that keep history beside their credentials).
   */
  mode?: 'mount' | 'link';
  /**
   * Files the CLI rewrites with refreshed tokens (`link` mode): each session gets a writable
   * copy, and what the CLI writes there is kept, sealed, for the next session.
   */
  refresh?: string[];
}

export interface AgentProfile {
  name: string;
  description: string;
  builtin: boolean;
  /** argv; a profile's shell string becomes `sh -c STRING agent` (the prompt is then "$1"). */
  command: string[];
  /** Run instead of `command` when the session's container starts again; null: `command` without the prompt. */
  resume: string[] | null;
  image: string | null;
  /** Non-secret environment for the agent. */
  env: Record<string, string>;
  prompt: PromptPassing;
  /**
   * What the agent needs to have been set up (`berth auth setup`): any one of the directory and
   * the keys, unless `required` is false (an agent that also runs without them).
   */
  credentials: { dir: CredentialDir | null; keys: string[]; required?: boolean };
  /** The program the preflight looks for (in the image or berth's agents volume); default command[0]. */
  program?: string;
  /**
   * A built-in CLI berth knows how to run unattended (agent-seeds.ts): its first-run answers,
   * permission mode, base URL and status signals are written into the session's HOME.
   */
  seed?: SeededAgent;
  /** A model to pin (the CLI's own setting); absent: the CLI's default. */
  model?: string;
}

const PROFILE_NAME_RE = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const MAX_PROMPT = 64 * 1024;

// `claude --continue`, `codex resume --last` and aider's restored chat history pick the
// conversation up again from the state each keeps under HOME (the session's own volume).
const BUILTINS: AgentProfile[] = [
  {
    name: 'claude',
    description: 'Claude Code',
    builtin: true,
    seed: 'claude',
    command: ['claude'],
    resume: ['claude', '--continue'],
    image: null,
    env: {},
    prompt: 'operand',
    credentials: {
      dir: {
        from: '~/.claude',
        to: '/home/berth/.claude',
        include: ['.credentials.json', 'settings.json', 'CLAUDE.md'],
        // Claude Code writes its projects and history under ~/.claude: that stays writable.
        mode: 'link',
        // Its subscription login (`claude login`), refreshed as it runs.
        refresh: ['.credentials.json'],
      },
      // An API key, or the long-lived token `claude setup-token` prints.
      keys: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN'],
    },
  },
  {
    name: 'codex',
    description: 'OpenAI Codex CLI',
    builtin: true,
    seed: 'codex',
    command: ['codex'],
    resume: ['codex', 'resume', '--last'],
    image: null,
    env: {},
    prompt: 'operand',
    credentials: {
      dir: {
        from: '~/.codex',
        to: '/home/berth/.codex',
        include: ['auth.json', 'config.toml'],
        mode: 'link',
        // `codex login`'s ChatGPT tokens, refreshed as it runs.
        refresh: ['auth.json'],
      },
      keys: ['OPENAI_API_KEY'],
    },
  },
  {
    name: 'gemini',
    description: 'Gemini CLI',
    builtin: true,
    seed: 'gemini',
    command: ['gemini'],
    resume: ['gemini', '--resume', 'latest'],
    image: null,
    env: {},
    // The interactive TUI, started on its task.
    prompt: { flag: '--prompt-interactive' },
    credentials: {
      dir: {
        from: '~/.gemini',
        to: '/home/berth/.gemini',
        include: ['oauth_creds.json', 'google_accounts.json'],
        mode: 'link',
      },
      keys: ['GEMINI_API_KEY'],
    },
  },
  {
    name: 'opencode',
    description: 'opencode',
    builtin: true,
    seed: 'opencode',
    command: ['opencode'],
    resume: ['opencode', '--continue'],
    image: null,
    env: {},
    prompt: { flag: '--prompt' },
    credentials: {
      dir: {
        from: '~/.local/share/opencode',
        to: '/home/berth/.local/share/opencode',
        include: ['auth.json'],
        mode: 'link',
      },
      keys: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'],
    },
  },
  {
    name: 'aider',
    description: 'aider: the first message with --message, then an interactive chat that keeps its history',
    builtin: true,
    // `--message` answers once and exits; the chat then goes on with the history restored.
    command: [
      'sh',
      '-c',
      'if [ -n "$1" ]; then aider --message "$1"; fi; exec aider --restore-chat-history',
      'aider',
    ],
    resume: ['aider', '--restore-chat-history'],
    program: 'aider',
    image: null,
    env: {},
    prompt: 'arg',
    credentials: { dir: null, keys: ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY'] },
  },
  {
    name: 'shell',
    description: 'a login shell; a prompt is run as a command first',
    builtin: true,
    command: [
      'sh',
      '-c',
      'if [ -n "$1" ]; then sh -c "$1"; fi; if command -v bash >/dev/null; then exec bash -l; else exec sh; fi',
      'shell',
    ],
    resume: ['sh', '-c', 'if command -v bash >/dev/null; then exec bash -l; else exec sh; fi'],
    program: 'sh',
    image: null,
    env: {},
    prompt: 'arg',
    credentials: { dir: null, keys: [] },
  },
];

const Argv = Type.Union([
  Type.String({ minLength: 1, maxLength: 8192 }),
  Type.Array(Type.String({ maxLength: 8192 }), { minItems: 1, maxItems: 256 }),
]);

const ProfileConfig = Type.Object(
  {
    // Optional for a built-in's name: the fields given then change the built-in, which stays seeded.
    command: Type.Optional(Argv),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    resume: Type.Optional(Type.Union([Argv, Type.Null()])),
    image: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    description: Type.Optional(Type.String({ maxLength: 500 })),
    env: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 32768 }))),
    prompt: Type.Optional(
      Type.Union([
        Type.Literal('arg'),
        Type.Literal('operand'),
        Type.Literal('none'),
        Type.Object({ flag: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      ]),
    ),
    credentials: Type.Optional(
      Type.Object(
        {
          dir: Type.Optional(
            Type.Union([
              Type.Object(
                {
                  from: Type.String({ minLength: 1, maxLength: 4096 }),
                  to: Type.String({ minLength: 2, maxLength: 4096, pattern: '^/' }),
                  include: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 255 }))),
                  mode: Type.Optional(Type.Union([Type.Literal('mount'), Type.Literal('link')])),
                  refresh: Type.Optional(
                    Type.Array(Type.String({ minLength: 1, maxLength: 255 }), { maxItems: 16 }),
                  ),
                },
                { additionalProperties: false },
              ),
              Type.Null(),
            ]),
          ),
          keys: Type.Optional(Type.Array(Type.String({ pattern: ENV_NAME_RE.source }), { maxItems: 32 })),
          required: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The JSON config file (BERTH_CONFIG, default $BERTH_HOME/config.json). Other sections may follow. */
const ConfigFile = Type.Object({
  agents: Type.Optional(Type.Record(Type.String(), ProfileConfig)),
  defaultAgent: Type.Optional(Type.String()),
});
type ConfigFile = Static<typeof ConfigFile>;
const checkConfig = Compile(ConfigFile);

function argv(value: string | string[]): string[] {
  return typeof value === 'string' ? ['sh', '-c', value, 'agent'] : value;
}

/** Where a bad value sits, as `agents.NAME.field`. */
function fieldOf(instancePath: string): string {
  return instancePath.replace(/^\//, '').split('/').join('.') || '(top level)';
}

export interface AgentCatalogue {
  profiles: AgentProfile[];
  defaultAgent: string;
}

/**
 * Built-in profiles with the config file's on top (a user profile of the same name replaces the
 * built-in). Read on each use, so an edit applies to the next session without a restart.
 */
export async function loadAgentProfiles(configFile: string): Promise<AgentCatalogue> {
  let raw: string | null = null;
  try {
    raw = await readFile(configFile, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new InvalidInput(`cannot read the config file ${configFile}: ${(err as Error).message}`, {
        hint: 'check its permissions, or point BERTH_CONFIG elsewhere',
      });
    }
  }
  const byName = new Map(BUILTINS.map((p) => [p.name, p]));
  let defaultAgent = 'claude';
  if (raw !== null) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new InvalidInput(`the config file ${configFile} is not valid JSON: ${(err as Error).message}`, {
        hint: 'fix the file (it holds { "agents": { "NAME": { "command": [...] } } })',
      });
    }
    if (!checkConfig.Check(parsed)) {
      const first =
        [...checkConfig.Errors(parsed)].find((e) => e.keyword !== 'boolean') ??
        [...checkConfig.Errors(parsed)][0];
      const where = first ? fieldOf(first.instancePath) : '(top level)';
      const extra =
        first?.keyword === 'additionalProperties'
          ? ` (unknown field ${(first.params as { additionalProperties?: string[] }).additionalProperties?.join(', ')})`
          : '';
      throw new InvalidInput(
        `the config file ${configFile} is not valid: ${where} ${first?.message ?? 'is wrong'}${extra}`,
        { hint: 'fix that field; a profile needs at least "command" (an argv array or a shell string)' },
      );
    }
    const config = parsed as ConfigFile;
    for (const [name, p] of Object.entries(config.agents ?? {})) {
      const where = `${configFile}: agents.${name}`;
      if (!PROFILE_NAME_RE.test(name)) {
        throw new InvalidInput(`${where}: a profile name is a lowercase slug of at most 32 characters`);
      }
      for (const k of Object.keys(p.env ?? {})) {
        if (!ENV_NAME_RE.test(k))
          throw new InvalidInput(`${where}.env: ${JSON.stringify(k)} is not a variable name`);
      }
      const names = [...(p.credentials?.dir?.include ?? []), ...(p.credentials?.dir?.refresh ?? [])];
      if (names.some((n) => n.includes('/') || n === '.' || n === '..')) {
        throw new InvalidInput(`${where}.credentials.dir.include: names are top-level entries, without '/'`);
      }
      const builtin = BUILTINS.find((b) => b.name === name);
      if (p.command === undefined) {
        if (!builtin) {
          throw new InvalidInput(
            `${where}: a profile of your own needs "command" (an argv array or a shell string)`,
          );
        }
        // Settings on a built-in: it keeps its command, seeding and credentials.
        byName.set(name, {
          ...builtin,
          ...(p.description !== undefined ? { description: p.description } : {}),
          ...(p.image !== undefined ? { image: p.image } : {}),
          ...(p.model !== undefined ? { model: p.model } : {}),
          env: { ...builtin.env, ...(p.env ?? {}) },
        });
        continue;
      }
      byName.set(name, {
        name,
        description: p.description ?? '',
        builtin: false,
        command: argv(p.command),
        resume: p.resume ? argv(p.resume) : null,
        image: p.image ?? null,
        env: p.env ?? {},
        prompt: p.prompt ?? 'arg',
        credentials: {
          dir: p.credentials?.dir ?? null,
          keys: p.credentials?.keys ?? [],
          ...(p.credentials?.required === false ? { required: false } : {}),
        },
        ...(p.model !== undefined ? { model: p.model } : {}),
      });
    }
    if (config.defaultAgent !== undefined) {
      if (!byName.has(config.defaultAgent)) {
        throw new InvalidInput(
          `${configFile}: defaultAgent names '${config.defaultAgent.slice(0, 40)}', which is no profile`,
        );
      }
      defaultAgent = config.defaultAgent;
    }
  }
  return { profiles: [...byName.values()], defaultAgent };
}

export function findProfile(catalogue: AgentCatalogue, name: string): AgentProfile {
  const p = catalogue.profiles.find((x) => x.name === name);
  if (!p) {
    throw new NotFound(`no agent profile named '${String(name).slice(0, 40)}'`, {
      hint: `use one of ${catalogue.profiles.map((x) => x.name).join(', ')}, or add it under "agents" in the config file (BERTH_CONFIG)`,
    });
  }
  return p;
}

export function checkPrompt(prompt: unknown): string {
  if (typeof prompt !== 'string' || prompt.includes('\0') || prompt.length > MAX_PROMPT) {
    throw new InvalidInput('a prompt is text of at most 64 KiB without NUL characters');
  }
  return prompt;
}

/** The agent's first argv: the profile's command with the prompt passed its way. */
export function firstArgv(p: AgentProfile, prompt: string | null): string[] {
  if (prompt === null || prompt === '' || p.prompt === 'none') return p.command;
  if (p.prompt === 'arg') return [...p.command, prompt];
  if (p.prompt === 'operand') return [...p.command, '--', prompt];
  return [...p.command, `${p.prompt.flag}=${prompt}`];
}

export function resumeArgv(p: AgentProfile): string[] {
  return p.resume ?? p.command;
}

/** `argv` with `args` right after its program (a seed's settings go before any subcommand). */
export function withArgs(argv: string[], args: string[]): string[] {
  return args.length === 0 ? argv : [argv[0] as string, ...args, ...argv.slice(1)];
}
