import { describe, expect, test } from 'vitest';
import {
  agentSeed,
  mergeJson,
  SEEDED_AGENTS,
  type SeedFile,
  seededContent,
  shellQuote,
} from './agent-seeds.js';

function file(seed: { files: SeedFile[] }, path: string): SeedFile {
  const f = seed.files.find((x) => x.path === path);
  if (!f) throw new Error(`no ${path} in ${seed.files.map((x) => x.path).join(', ')}`);
  return f;
}

function jsonOf(seed: { files: SeedFile[] }, path: string): Record<string, unknown> {
  return JSON.parse(file(seed, path).content);
}

describe('agentSeed: claude', () => {
  test('answers onboarding, folder trust for /workspace and the bypass warning by default', () => {
    const seed = agentSeed('claude');
    const state = jsonOf(seed, '/home/berth/.claude.json');
    expect(state.hasCompletedOnboarding).toBe(true);
    expect(state.bypassPermissionsModeAccepted).toBe(true);
    expect(state.projects).toEqual({
      '/workspace': {
        hasTrustDialogAccepted: true,
        hasCompletedProjectOnboarding: true,
        projectOnboardingSeenCount: 1,
      },
    });
    expect(file(seed, '/home/berth/.claude.json').onExisting).toBe('merge-json');
  });

  test('full autonomy is bypassPermissions, passed with berth settings of its own', () => {
    const seed = agentSeed('claude');
    expect(seed.args).toEqual([
      '--settings',
      '/home/berth/.claude/berth-settings.json',
      '--permission-mode',
      'bypassPermissions',
    ]);
    const settings = jsonOf(seed, '/home/berth/.claude/berth-settings.json');
    expect(settings.permissions).toEqual({ defaultMode: 'bypassPermissions' });
  });

  test('ask autonomy is the default mode and accepts no bypass', () => {
    const seed = agentSeed('claude', { autonomy: 'ask' });
    expect(seed.args.slice(-2)).toEqual(['--permission-mode', 'default']);
    expect(jsonOf(seed, '/home/berth/.claude.json').bypassPermissionsModeAccepted).toBe(false);
  });

  test('a key file becomes an apiKeyHelper and no part of the key is written', () => {
    const seed = agentSeed('claude', {
      apiKey: {
        env: 'ANTHROPIC_API_KEY',
        file: "/run/berth/secrets/it's",
        value: 'sk-ant-secret-value-123456789',
      },
    });
    const settings = jsonOf(seed, '/home/berth/.claude/berth-settings.json');
    expect(settings.apiKeyHelper).toBe(`cat '/run/berth/secrets/it'\\''s'`);
    for (const f of seed.files) expect(f.content).not.toContain('123456789');
    // Exported as well, the variable would bring the "use this API key?" question back.
    expect(seed.withheldEnv).toEqual(['ANTHROPIC_API_KEY']);
  });

  test('a key from the environment is approved by its last 20 characters', () => {
    const key = 'sk-ant-api03-abcdefghij0123456789KLMNOPQRST';
    const state = jsonOf(
      agentSeed('claude', { apiKey: { env: 'ANTHROPIC_API_KEY', value: key } }),
      '/home/berth/.claude.json',
    );
    expect(state.customApiKeyResponses).toEqual({ approved: ['0123456789KLMNOPQRST'], rejected: [] });
    expect(agentSeed('claude', { apiKey: { env: 'ANTHROPIC_API_KEY', value: key } }).withheldEnv).toEqual([]);
  });

  test('the base URL, the model and no phoning home are in its environment', () => {
    const seed = agentSeed('claude', { baseUrl: 'http://172.17.0.1:4000/', model: 'claude-x' });
    expect(seed.env).toMatchObject({
      ANTHROPIC_BASE_URL: 'http://172.17.0.1:4000',
      ANTHROPIC_MODEL: 'claude-x',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
      DISABLE_AUTOUPDATER: '1',
    });
  });

  test('home and workspace are inputs: trust is keyed by the path', () => {
    const seed = agentSeed('claude', { home: '/h/', workspace: '/src/app/' });
    expect(Object.keys(jsonOf(seed, '/h/.claude.json').projects as object)).toEqual(['/src/app']);
    expect(() => agentSeed('claude', { workspace: 'workspace' })).toThrow(/absolute/);
  });
});

describe('agentSeed: codex', () => {
  const path = '/home/berth/.codex/berth.config.toml';

  test('trusts /workspace, never asks, has no sandbox of its own and does not phone home', () => {
    const toml = file(agentSeed('codex'), path).content;
    expect(toml).toContain('approval_policy = "never"');
    expect(toml).toContain('sandbox_mode = "danger-full-access"');
    expect(toml).toContain('check_for_update_on_startup = false');
    expect(toml).toMatch(/\[analytics\]\nenabled = false/);
    expect(toml).toMatch(/\[features\]\nplugins = false/);
    expect(toml).toMatch(/\[projects\."\/workspace"\]\ntrust_level = "trusted"/);
    expect(toml).not.toContain('model_providers');
  });

  test('a base URL is a provider of its own that speaks the Responses API with the key from env_key', () => {
    const toml = file(
      agentSeed('codex', { baseUrl: 'http://10.0.0.1:9/v1', apiKey: { env: 'MY_KEY' } }),
      path,
    ).content;
    expect(toml).toContain('model_provider = "berth"');
    expect(toml).toMatch(
      /\[model_providers\.berth\]\nname = "berth"\nbase_url = "http:\/\/10\.0\.0\.1:9\/v1"\nenv_key = "MY_KEY"\nwire_api = "responses"/,
    );
  });

  test('ask autonomy runs commands in its workspace sandbox and asks before more', () => {
    const toml = file(agentSeed('codex', { autonomy: 'ask' }), path).content;
    expect(toml).toContain('approval_policy = "on-request"');
    expect(toml).toContain('sandbox_mode = "workspace-write"');
  });

  test('is a profile layer passed before any subcommand, without the background server', () => {
    const seed = agentSeed('codex');
    expect(seed.args).toEqual(['--profile', 'berth', '--no-daemon']);
    expect(seed.env).toEqual({ CODEX_HOME: '/home/berth/.codex' });
    expect(file(seed, path).onExisting).toBe('replace');
  });

  test('strings are TOML-quoted', () => {
    const toml = file(agentSeed('codex', { workspace: '/w/a "b"', model: 'm"1' }), path).content;
    expect(toml).toContain('[projects."/w/a \\"b\\""]');
    expect(toml).toContain('model = "m\\"1"');
  });
});

describe('agentSeed: gemini and opencode', () => {
  test('gemini trusts the workspace, keeps statistics off and runs yolo when full', () => {
    const seed = agentSeed('gemini', { baseUrl: 'http://h:1' });
    expect(jsonOf(seed, '/home/berth/.gemini/trustedFolders.json')).toEqual({ '/workspace': 'TRUST_FOLDER' });
    expect(jsonOf(seed, '/home/berth/.gemini/settings.json').privacy).toEqual({
      usageStatisticsEnabled: false,
    });
    expect(seed.args).toEqual(['--approval-mode', 'yolo']);
    expect(seed.env.GOOGLE_GEMINI_BASE_URL).toBe('http://h:1');
    expect(agentSeed('gemini', { autonomy: 'ask' }).args).toEqual(['--approval-mode', 'default']);
  });

  test('opencode allows or asks for edits and commands, and reads the key from its file', () => {
    const seed = agentSeed('opencode', {
      baseUrl: 'http://h:1/v1',
      apiKey: { env: 'ANTHROPIC_API_KEY', file: '/run/berth/secrets/ANTHROPIC_API_KEY' },
    });
    const config = jsonOf(seed, '/home/berth/.config/opencode/opencode.json');
    expect(config.permission).toEqual({ edit: 'allow', bash: 'allow', webfetch: 'allow' });
    expect(config.autoupdate).toBe(false);
    expect(config.provider).toEqual({
      anthropic: {
        options: { baseURL: 'http://h:1/v1', apiKey: '{file:/run/berth/secrets/ANTHROPIC_API_KEY}' },
      },
    });
    const ask = jsonOf(
      agentSeed('opencode', { autonomy: 'ask' }),
      '/home/berth/.config/opencode/opencode.json',
    );
    expect(ask.permission).toEqual({ edit: 'ask', bash: 'ask', webfetch: 'ask' });
  });

  test('every agent writes only under its HOME, private to its user', () => {
    for (const agent of SEEDED_AGENTS) {
      for (const f of agentSeed(agent, { home: '/home/x' }).files) {
        expect(f.path.startsWith('/home/x/')).toBe(true);
        expect(f.mode).toBe(0o600);
      }
    }
  });
});

describe('mergeJson and seededContent', () => {
  test('the agent keeps its own state; the seeded answers win', () => {
    const existing = {
      numStartups: 7,
      hasCompletedOnboarding: false,
      projects: { '/workspace': { hasTrustDialogAccepted: false, history: ['x'] }, '/other': { a: 1 } },
    };
    const seed = {
      hasCompletedOnboarding: true,
      projects: { '/workspace': { hasTrustDialogAccepted: true } },
    };
    expect(mergeJson(existing, seed)).toEqual({
      numStartups: 7,
      hasCompletedOnboarding: true,
      projects: { '/workspace': { hasTrustDialogAccepted: true, history: ['x'] }, '/other': { a: 1 } },
    });
  });

  test('a missing, unreadable or replaced file gets the seed as it is', () => {
    const f: SeedFile = { path: '/h/a.json', content: '{"a":1}\n', mode: 0o600, onExisting: 'merge-json' };
    expect(seededContent(f, undefined)).toBe('{"a":1}\n');
    expect(seededContent(f, 'not json')).toBe('{"a":1}\n');
    expect(JSON.parse(seededContent(f, '{"b":2}'))).toEqual({ a: 1, b: 2 });
    expect(seededContent({ ...f, onExisting: 'replace' }, '{"b":2}')).toBe('{"a":1}\n');
  });

  test('shellQuote makes one shell word', () => {
    expect(shellQuote("a b'c")).toBe(`'a b'\\''c'`);
  });
});
