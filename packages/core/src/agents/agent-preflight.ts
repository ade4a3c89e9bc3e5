import { randomBytes } from 'node:crypto';
import type { BerthConfig } from '../config/config.js';
import { InvalidInput } from '../errors/berth-error.js';
import type { Logger } from '../logger.js';
import { LABEL_MANAGED, LABEL_ROLE, ROLE_HELPER } from '../runtime/labels.js';
import type { ContainerRuntime } from '../runtime/runtime.js';
import type { AgentCredentials } from './agent-credentials.js';
import type { AgentProfile } from './agent-profile.js';
import { type AgentTool, findTool, GLIBC_LOADERS, MIN_NODE_MAJOR } from './agent-tools.js';
import { type CredentialOwner, HOST_OWNER } from './credential-owner.js';

/** What a session's image has, as its own shell sees it. */
export interface ImageFacts {
  sh: boolean;
  /** Each command asked about: its path on the image's PATH, or null. */
  found: Record<string, string | null>;
  glibc: boolean;
  nodeMajor: number | null;
  path: string;
}

/** What the preflight found: whether the agent runs from berth's agents volume, and the image's PATH. */
export interface AgentToolsUse {
  /** The profile's command comes from the volume (which must then be filled). */
  needed: boolean;
  /** The image's own PATH, which the volume's bin directory goes in front of. */
  imagePath: string;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PROBE = `for c in "$@"; do p=$(command -v "$c" 2>/dev/null) && echo "found $c $p"; done
for l in ${GLIBC_LOADERS.join(' ')}; do if [ -e "$l" ]; then echo glibc; fi; done
if command -v node >/dev/null 2>&1; then echo "node $(node --version 2>/dev/null)"; fi
echo "path $PATH"
`;

export function parseProbe(out: string, commands: string[]): ImageFacts {
  const facts: ImageFacts = { sh: true, found: {}, glibc: false, nodeMajor: null, path: DEFAULT_PATH };
  for (const c of commands) facts.found[c] = null;
  for (const line of out.split('\n')) {
    const [kind, ...rest] = line.trim().split(' ');
    if (kind === 'found' && rest.length >= 2) facts.found[rest[0]!] = rest.slice(1).join(' ');
    else if (kind === 'glibc') facts.glibc = true;
    else if (kind === 'node') facts.nodeMajor = Number(/^v(\d+)/.exec(rest[0] ?? '')?.[1]) || null;
    else if (kind === 'path' && rest.length > 0) facts.path = rest.join(' ');
  }
  return facts;
}

/** The program a profile's preflight looks for: its own, or its argv's first word (`sh` for a shell string). */
export function programOf(p: AgentProfile): string {
  return p.program ?? p.command[0] ?? 'sh';
}

/**
 * Runs `command -v` for the asked commands in a throwaway container of the image (no network,
 * every capability dropped, gone at once): about half a second, once per image and process for
 * an answer that lets the session start (a refusal is asked again, so a fixed image is seen).
 */
export class ImageProbe {
  /** Shared by the process's probes: one daemon has one, a test worker many. */
  private static readonly passed = new Map<string, ImageFacts>();

  constructor(
    private readonly deps: {
      runtime: ContainerRuntime;
      config: Pick<BerthConfig, 'fallbackUid' | 'fallbackGid'>;
      logger: Logger;
    },
  ) {}

  async facts(image: string, commands: string[]): Promise<ImageFacts> {
    const key = `${image}\0${commands.join('\0')}`;
    const known = ImageProbe.passed.get(key);
    if (known) return known;
    const { runtime, config } = this.deps;
    let id: string | null = null;
    try {
      id = await runtime.create({
        name: `berth-probe-${randomBytes(6).toString('hex')}`,
        image,
        command: ['sh', '-c', PROBE, 'berth-probe', ...commands],
        user: `${config.fallbackUid}:${config.fallbackGid}`,
        env: {},
        workingDir: '/',
        labels: { [LABEL_MANAGED]: 'true', [LABEL_ROLE]: ROLE_HELPER },
        mounts: [],
        cpus: 1,
        memoryBytes: 256 * 1024 * 1024,
        pids: 64,
        network: 'none',
      });
      try {
        await runtime.start(id);
      } catch {
        // No sh to start: the engine refuses the command.
        return { sh: false, found: {}, glibc: false, nodeMajor: null, path: DEFAULT_PATH };
      }
      let out = '';
      for await (const chunk of runtime.logs(id, { follow: true })) {
        if (chunk.stream === 'stdout') out += chunk.data.toString('utf8');
      }
      const state = await runtime.inspect(id);
      if (state?.exitCode === 126 || state?.exitCode === 127) {
        return { sh: false, found: {}, glibc: false, nodeMajor: null, path: DEFAULT_PATH };
      }
      return parseProbe(out, commands);
    } finally {
      if (id) await runtime.remove(id).catch((err) => this.deps.logger.warn({ err }, 'probe not removed'));
    }
  }

  /** Keeps an answer that let a session start. */
  remember(image: string, commands: string[], facts: ImageFacts): void {
    ImageProbe.passed.set(`${image}\0${commands.join('\0')}`, facts);
  }
}

const NEEDS_TEXT = {
  node: `Node.js ${MIN_NODE_MAJOR} or newer on the image's PATH`,
  glibc: 'glibc (a Debian, Ubuntu or Fedora based image; not Alpine, busybox or distroless)',
} as const;

/** Whether the image can run a tool from the volume. */
function toolRuns(tool: AgentTool, facts: ImageFacts): boolean {
  if (tool.needs === 'node') return (facts.nodeMajor ?? 0) >= MIN_NODE_MAJOR;
  if (tool.needs === 'glibc') return facts.glibc;
  return true;
}

/**
 * The agent's command and terminal: in the image, or from berth's volume where the image can run
 * it. Refuses, with what to do, an image that can run neither.
 */
export function checkCommand(
  profile: AgentProfile,
  image: string,
  facts: ImageFacts,
  tools: readonly AgentTool[],
): AgentToolsUse {
  const otherImage = 'use another image (`--image IMG`, or "image" in the profile)';
  if (!facts.sh) {
    throw new InvalidInput(`image ${image} has no sh: an agent session's launcher needs sh and tmux`, {
      hint: `${otherImage}, such as berth/session:bookworm (leave out --image)`,
    });
  }
  if (!facts.found.tmux) {
    throw new InvalidInput(`image ${image} has no tmux: an agent session runs its agent in tmux`, {
      hint: 'use an image with tmux, such as berth/session:bookworm (leave out --image), or add tmux to yours',
    });
  }
  const program = programOf(profile);
  const inImage = facts.found[program] ?? null;
  const tool = findTool(tools, program);
  if (tool && toolRuns(tool, facts)) return { needed: true, imagePath: facts.path };
  if (inImage) return { needed: false, imagePath: facts.path };
  if (tool) {
    throw new InvalidInput(
      `${tool.description} (\`${tool.bin}\`, from berth's agents volume) needs ${NEEDS_TEXT[tool.needs as 'node' | 'glibc']}, which image ${image} lacks`,
      { hint: `${otherImage} such as berth/session:bookworm, or add it to yours` },
    );
  }
  if (program === 'aider') {
    throw new InvalidInput(
      `image ${image} has no aider, and berth cannot provide it: aider installs from PyPI (pip), which berth does not reach; its agents volume holds the npm-packaged agents only (${tools.map((t) => t.bin).join(', ')})`,
      { hint: `${otherImage} that has aider installed (\`pip install aider-chat\` where PyPI is reachable)` },
    );
  }
  throw new InvalidInput(
    `image ${image} has no \`${program}\`, the command of agent profile '${profile.name}' (nor does berth's agents volume: ${tools.map((t) => t.bin).join(', ')})`,
    { hint: `${otherImage} that has it, or install it in yours` },
  );
}

/**
 * Any one of the profile's credentials (its directory or one of its keys) is set up, by the owner
 * whose credentials the session gets (never someone else's: security review F12).
 */
export async function checkCredentials(
  profile: AgentProfile,
  credentials: AgentCredentials,
  owner: CredentialOwner = HOST_OWNER,
): Promise<void> {
  const { dir, keys, required } = profile.credentials;
  if (required === false || (!dir && keys.length === 0)) return;
  const status = await credentials.status(profile.name, owner);
  if ((dir && status.dir) || status.keys.some((k) => keys.includes(k.name))) return;
  const what = [...(dir ? [dir.from] : []), ...keys].join(' or ');
  const setup = [
    ...(dir ? [`\`berth auth setup ${profile.name}\` (copies ${dir.from})`] : []),
    ...keys.slice(0, 1).map((k) => `\`${k}=… berth auth setup ${profile.name} --key ${k}\``),
  ].join(', or ');
  // Whose are missing is the caller's own business: nothing says whether anyone else has some.
  const whose = owner.kind === 'host' ? '' : ' (your own; a team’s with --team NAME)';
  throw new InvalidInput(`agent '${profile.name}' has no credentials set up: it needs ${what}`, {
    hint: `set them up first: ${setup}${whose}`,
  });
}
