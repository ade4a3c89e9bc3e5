import { describe, expect, it } from 'vitest';
import { checkCommand, parseProbe } from './agent-preflight.js';
import type { AgentProfile } from './agent-profile.js';
import { AGENT_TOOLS } from './agent-tools.js';

const profile = (command: string[], extra: Partial<AgentProfile> = {}): AgentProfile => ({
  name: 'p',
  description: '',
  builtin: false,
  command,
  resume: null,
  image: null,
  env: {},
  prompt: 'arg',
  credentials: { dir: null, keys: [] },
  ...extra,
});

const probe = (lines: string[], commands = ['tmux', 'claude']) => parseProbe(lines.join('\n'), commands);
const debian = ['found tmux /usr/bin/tmux', 'glibc', 'node v24.1.0', 'path /usr/local/bin:/usr/bin:/bin'];

describe('agent preflight', () => {
  it('reads the probe: commands found, glibc, the node major, the PATH', () => {
    expect(probe(debian)).toEqual({
      sh: true,
      found: { tmux: '/usr/bin/tmux', claude: null },
      glibc: true,
      nodeMajor: 24,
      path: '/usr/local/bin:/usr/bin:/bin',
    });
  });

  it("takes a tool from berth's volume where the image can run it, else the image's own, else refuses", () => {
    expect(checkCommand(profile(['claude']), 'img', probe(debian), AGENT_TOOLS)).toEqual({
      needed: true,
      imagePath: '/usr/local/bin:/usr/bin:/bin',
    });
    const musl = ['found tmux /usr/bin/tmux', 'path /usr/bin'];
    expect(() => checkCommand(profile(['claude']), 'alpine', probe(musl), AGENT_TOOLS)).toThrow(
      /Claude Code \(`claude`, from berth's agents volume\) needs glibc .*which image alpine lacks/,
    );
    const own = [...musl, 'found claude /usr/local/bin/claude'];
    expect(checkCommand(profile(['claude']), 'alpine', probe(own), AGENT_TOOLS)).toMatchObject({
      needed: false,
    });
    // codex is static: it runs without glibc or node.
    expect(
      checkCommand(profile(['codex']), 'alpine', probe(musl, ['tmux', 'codex']), AGENT_TOOLS),
    ).toMatchObject({ needed: true });
    const oldNode = ['found tmux /usr/bin/tmux', 'glibc', 'node v18.20.0'];
    expect(() =>
      checkCommand(profile(['gemini']), 'old', probe(oldNode, ['tmux', 'gemini']), AGENT_TOOLS),
    ).toThrow(/needs Node\.js 20 or newer/);
  });

  it('refuses an image without sh or tmux before any command', () => {
    expect(() => checkCommand(profile(['x']), 'scratch', { ...probe([]), sh: false }, AGENT_TOOLS)).toThrow(
      /has no sh/,
    );
    expect(() =>
      checkCommand(profile(['x']), 'busybox', probe(['glibc'], ['tmux', 'x']), AGENT_TOOLS),
    ).toThrow(/has no tmux/);
  });
});
