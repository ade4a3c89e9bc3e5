/**
 * What each built-in agent's CLI needs in HOME so a task runs with no human at its terminal:
 * the answers to its first-run dialogs (onboarding, "use this key?", folder trust), its
 * permission mode, the model API's base URL and no phoning home. Pure: it returns the files
 * (absolute paths in the container), the arguments and the environment; the caller writes and
 * passes them. Measured against the real CLIs (core/test/real-agents-host.test.ts).
 */

/** `full`: no permission prompts, the container is the sandbox. `ask`: the agent asks a person. */
export type Autonomy = 'full' | 'ask';
export const AUTONOMIES: readonly Autonomy[] = ['full', 'ask'];

export type SeededAgent = 'claude' | 'codex' | 'gemini' | 'opencode';
export const SEEDED_AGENTS: readonly SeededAgent[] = ['claude', 'codex', 'gemini', 'opencode'];

/** Where the agent finds its API key. */
export interface ApiKeyRef {
  /** The variable the launcher exports it as (ANTHROPIC_API_KEY, OPENAI_API_KEY, …). */
  env: string;
  /**
   * The key's file in the container (/run/berth/secrets/NAME). Claude Code then reads it
   * through `apiKeyHelper`, so nothing of the key lands in its state and the variable need
   * not be exported at all.
   */
  file?: string;
  /**
   * The key itself, only for Claude Code without `file`: it approves a key from the
   * environment by its last 20 characters, kept in ~/.claude.json.
   */
  value?: string;
}

export interface SeedInput {
  autonomy?: Autonomy;
  /** The agent's HOME: /home/berth in sessions. */
  home?: string;
  /** The project directory the agent works in, trusted by path: /workspace in sessions. */
  workspace?: string;
  /** The model API's base URL (berth's proxy later); absent: the vendor's own. */
  baseUrl?: string;
  apiKey?: ApiKeyRef;
  /** A model to pin; absent: the CLI's default. */
  model?: string;
  /**
   * berth's launcher in the container: when given, the CLI's own signals (Claude Code's hooks,
   * Codex's notify program) run `sh LAUNCHER status STATE` so berth knows what the agent does.
   */
  launcher?: string;
}

export interface SeedFile {
  /** Absolute path in the agent's filesystem. */
  path: string;
  content: string;
  mode: number;
  /**
   * What to do when the file is there already (the home volume outlives restarts): `replace`
   * (a file berth owns), `merge-json` (deep-merge the seed into the agent's own JSON, see
   * `mergeJson`, so the state it wrote survives).
   */
  onExisting: 'replace' | 'merge-json';
}

export interface AgentSeed {
  files: SeedFile[];
  /** Arguments to put right after the command's program (`claude ARGS… PROMPT`), also on resume. */
  args: string[];
  /** Non-secret environment for the agent's process. */
  env: Record<string, string>;
  /**
   * Variables the launcher must not export to this agent although the profile names them:
   * Claude Code with an `apiKeyHelper` asks "use this API key?" again when ANTHROPIC_API_KEY
   * is in its environment too.
   */
  withheldEnv: string[];
}

export const DEFAULT_HOME = '/home/berth';
export const DEFAULT_WORKSPACE = '/workspace';

/** The name berth's own layer of Codex settings goes by (`codex --profile berth`). */
export const CODEX_PROFILE = 'berth';

export function agentSeed(agent: SeededAgent, input: SeedInput = {}): AgentSeed {
  const resolved: Resolved = {
    autonomy: input.autonomy ?? 'full',
    home: trimSlash(input.home ?? DEFAULT_HOME),
    workspace: trimSlash(input.workspace ?? DEFAULT_WORKSPACE),
    baseUrl: input.baseUrl === undefined ? undefined : trimSlash(input.baseUrl),
    apiKey: input.apiKey,
    model: input.model,
    launcher: input.launcher,
  };
  if (!resolved.home.startsWith('/') || !resolved.workspace.startsWith('/')) {
    throw new Error('home and workspace must be absolute paths');
  }
  switch (agent) {
    case 'claude':
      return claudeSeed(resolved);
    case 'codex':
      return codexSeed(resolved);
    case 'gemini':
      return geminiSeed(resolved);
    case 'opencode':
      return opencodeSeed(resolved);
  }
}

interface Resolved {
  autonomy: Autonomy;
  home: string;
  workspace: string;
  baseUrl: string | undefined;
  apiKey: ApiKeyRef | undefined;
  model: string | undefined;
  launcher: string | undefined;
}

function trimSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A POSIX shell word. */
export function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

// Claude Code ----------------------------------------------------------------------------------

/**
 * Claude Code 2.1: ~/.claude.json answers onboarding (theme, welcome, the vendor connectivity
 * check), the bypass-permissions warning and the folder trust (keyed by the exact path); berth's
 * settings go in a file of their own passed with `--settings`, because ~/.claude/settings.json
 * may be the user's own, linked read-only.
 */
function claudeSeed(r: Resolved): AgentSeed {
  const settingsPath = `${r.home}/.claude/berth-settings.json`;
  const env: Record<string, string> = {
    // Telemetry, error reports, the auto-updater and feature-flag fetches: measured to leave
    // nothing but the model API.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    // The TUI fetches the vendor's plugin marketplace (a CDN and a git host) at its first start.
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
  };
  if (r.baseUrl) env.ANTHROPIC_BASE_URL = r.baseUrl;
  if (r.model) env.ANTHROPIC_MODEL = r.model;

  const mode = r.autonomy === 'full' ? 'bypassPermissions' : 'default';
  const settings: Record<string, unknown> = {
    permissions: { defaultMode: mode },
    skipDangerousModePermissionPrompt: true,
    autoUpdates: false,
    env,
  };
  if (r.apiKey?.file) settings.apiKeyHelper = `cat ${shellQuote(r.apiKey.file)}`;
  if (r.launcher) settings.hooks = claudeHooks(r.launcher);

  const state: Record<string, unknown> = {
    hasCompletedOnboarding: true,
    theme: 'dark',
    autoUpdates: false,
    bypassPermissionsModeAccepted: r.autonomy === 'full',
    projects: {
      [r.workspace]: {
        hasTrustDialogAccepted: true,
        hasCompletedProjectOnboarding: true,
        projectOnboardingSeenCount: 1,
      },
    },
  };
  if (r.apiKey && !r.apiKey.file && r.apiKey.value) {
    state.customApiKeyResponses = { approved: [r.apiKey.value.slice(-20)], rejected: [] };
  }

  return {
    files: [
      { path: `${r.home}/.claude.json`, content: json(state), mode: 0o600, onExisting: 'merge-json' },
      { path: settingsPath, content: json(settings), mode: 0o600, onExisting: 'replace' },
    ],
    args: ['--settings', settingsPath, '--permission-mode', mode],
    env,
    withheldEnv: r.apiKey?.file ? [r.apiKey.env] : [],
  };
}

/**
 * Claude Code's hooks as berth's status signals: a prompt or a tool call is `working`, a
 * permission question or a question to the user `needs-input`, the end of a turn (or a start
 * with nothing to do) `idle`.
 */
function claudeHooks(launcher: string): Record<string, unknown> {
  const run = (state: string) => [
    { type: 'command', command: `sh ${shellQuote(launcher)} status ${state}`, timeout: 10 },
  ];
  return {
    // Hooks run concurrently: a start's `idle` must not land after the first prompt's `working`.
    SessionStart: [{ hooks: run('idle --if-starting') }],
    UserPromptSubmit: [{ hooks: run('working') }],
    PreToolUse: [{ matcher: '*', hooks: run('working') }],
    PostToolUse: [{ matcher: '*', hooks: run('working') }],
    PermissionRequest: [{ matcher: '*', hooks: run('needs-input') }],
    Notification: [
      { matcher: 'permission_prompt', hooks: run('needs-input') },
      { matcher: 'elicitation_dialog', hooks: run('needs-input') },
    ],
    Stop: [{ hooks: run('idle') }],
  };
}

// Codex ----------------------------------------------------------------------------------------

function tomlString(s: string): string {
  return JSON.stringify(s);
}

/**
 * Codex 0.171 reads ~/.codex/config.toml and, with `--profile NAME`, layers
 * ~/.codex/NAME.config.toml on top: berth's settings live in that layer, so a user's own
 * config.toml (linked read-only) stays as it is.
 */
function codexSeed(r: Resolved): AgentSeed {
  const path = `${r.home}/.codex/${CODEX_PROFILE}.config.toml`;
  const lines: string[] = ['# Written by berth: an unattended Codex in a session.'];
  if (r.model) lines.push(`model = ${tomlString(r.model)}`);
  // `full`: never ask, no sandbox of its own (the container is one). `ask`: commands run in
  // Codex's workspace sandbox and it asks before anything that needs more (0.171 knows only
  // `on-request` and `never`; "untrusted" is refused at start).
  lines.push(
    ...(r.autonomy === 'full'
      ? ['approval_policy = "never"', 'sandbox_mode = "danger-full-access"']
      : ['approval_policy = "on-request"', 'sandbox_mode = "workspace-write"']),
    'check_for_update_on_startup = false',
  );
  // Its notify program hears each finished turn (and approval requests): berth's status signal.
  if (r.launcher) lines.push(`notify = ["sh", ${tomlString(r.launcher)}, "notify"]`);
  if (r.baseUrl) lines.push('model_provider = "berth"');
  lines.push('', '[analytics]', 'enabled = false', '', '[features]', 'plugins = false');
  lines.push('', '[notice]', 'hide_full_access_warning = true');
  lines.push('', `[projects.${tomlString(r.workspace)}]`, 'trust_level = "trusted"');
  if (r.baseUrl) {
    // A provider of its own: Codex skips the WebSocket attempt and the login screen for it.
    lines.push(
      '',
      '[model_providers.berth]',
      'name = "berth"',
      `base_url = ${tomlString(r.baseUrl)}`,
      `env_key = ${tomlString(r.apiKey?.env ?? 'OPENAI_API_KEY')}`,
      'wire_api = "responses"',
    );
  }
  return {
    files: [{ path, content: `${lines.join('\n')}\n`, mode: 0o600, onExisting: 'replace' }],
    // Before any subcommand (`codex ARGS… resume --last`, `codex ARGS… exec`). Without
    // --no-daemon the TUI leaves a background server running in CODEX_HOME.
    args: ['--profile', CODEX_PROFILE, '--no-daemon'],
    env: { CODEX_HOME: `${r.home}/.codex` },
    withheldEnv: [],
  };
}

// Gemini CLI 0.61 (measured against the scripted Gemini API; pin a model, or its "auto" routes each prompt through a small one first) -----------------------------------------------------------

function geminiSeed(r: Resolved): AgentSeed {
  const settings = {
    security: {
      auth: { selectedType: 'gemini-api-key' },
      folderTrust: { enabled: true },
    },
    privacy: { usageStatisticsEnabled: false },
    general: { disableAutoUpdate: true, disableUpdateNag: true },
    ide: { enabled: false, hasSeenNudge: true },
    ui: { hideBanner: true, hideTips: true },
    ...(r.model ? { model: { name: r.model } } : {}),
  };
  const env: Record<string, string> = {};
  if (r.baseUrl) env.GOOGLE_GEMINI_BASE_URL = r.baseUrl;
  return {
    files: [
      {
        path: `${r.home}/.gemini/settings.json`,
        content: json(settings),
        mode: 0o600,
        onExisting: 'merge-json',
      },
      {
        path: `${r.home}/.gemini/trustedFolders.json`,
        content: json({ [r.workspace]: 'TRUST_FOLDER' }),
        mode: 0o600,
        onExisting: 'merge-json',
      },
    ],
    args: ['--approval-mode', r.autonomy === 'full' ? 'yolo' : 'default'],
    env,
    withheldEnv: [],
  };
}

// opencode 1.18 (measured with `opencode run` against the scripted Anthropic API) -------------------------------------------------------------

function opencodeSeed(r: Resolved): AgentSeed {
  const decision = r.autonomy === 'full' ? 'allow' : 'ask';
  const config: Record<string, unknown> = {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    permission: { edit: decision, bash: decision, webfetch: decision },
  };
  if (r.model) config.model = r.model;
  if (r.baseUrl) {
    const apiKey = r.apiKey?.file
      ? `{file:${r.apiKey.file}}`
      : `{env:${r.apiKey?.env ?? 'ANTHROPIC_API_KEY'}}`;
    config.provider = { anthropic: { options: { baseURL: r.baseUrl, apiKey } } };
  }
  return {
    files: [
      {
        path: `${r.home}/.config/opencode/opencode.json`,
        content: json(config),
        mode: 0o600,
        onExisting: 'merge-json',
      },
    ],
    args: [],
    // Its model catalog (models.dev) and language servers come from the internet otherwise.
    env: {
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    },
    withheldEnv: [],
  };
}

// ----------------------------------------------------------------------------------------------

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The seed deep-merged into what the agent already wrote: objects merge key by key, the
 * seed's scalars and arrays win (the answers it seeds must hold), everything else the agent
 * keeps. `existing` that is not an object is replaced.
 */
export function mergeJson(existing: unknown, seed: unknown): unknown {
  if (!isPlainObject(existing) || !isPlainObject(seed)) return seed;
  const out: Record<string, unknown> = { ...existing };
  for (const [k, v] of Object.entries(seed)) out[k] = k in existing ? mergeJson(existing[k], v) : v;
  return out;
}

/** The content to write for `file` given what is there now (undefined: nothing). */
export function seededContent(file: SeedFile, current: string | undefined): string {
  if (current === undefined || file.onExisting === 'replace') return file.content;
  let parsed: unknown;
  try {
    parsed = JSON.parse(current);
  } catch {
    return file.content;
  }
  return json(mergeJson(parsed, JSON.parse(file.content)));
}
