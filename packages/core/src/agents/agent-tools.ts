import { createHash } from 'node:crypto';

/**
 * The coding agents' CLIs berth provides: installed from the npm registry at pinned versions into
 * one read-only Docker volume (berth-agents-<hash of this table>) that agent sessions mount at
 * AGENTS_MOUNT, its bin directory first on PATH, so an agent also runs in a project's own image.
 */

/** What a tool needs of the session's image to run. */
export type ToolNeeds =
  /** A script for Node.js: `node` (20 or newer) on the image's PATH. */
  | 'node'
  /** A native build linked against glibc: the image's dynamic loader (any Debian/Ubuntu/Fedora). */
  | 'glibc'
  /** A static binary: runs in any Linux image, busybox included. */
  | 'none';

export interface AgentTool {
  /** The command it puts on PATH. */
  bin: string;
  package: string;
  version: string;
  /**
   * What the command runs, relative to the volume's root: the native binary that npm brings
   * through the package's per-platform optionalDependencies, not the package's own bin, which
   * for Codex is a Node wrapper and for Claude Code and opencode a placeholder that an install
   * script (not run: `--ignore-scripts`) overwrites. `{arch}`: x64 or arm64; `{triple}`: x86_64
   * or aarch64; `{baseline}`: `-baseline` on an x64 CPU without AVX2.
   */
  entry: string;
  needs: ToolNeeds;
  description: string;
}

/** The one table of pinned versions (checked with `npm view PACKAGE version`). */
export const AGENT_TOOLS: readonly AgentTool[] = [
  {
    bin: 'claude',
    package: '@anthropic-ai/claude-code',
    version: '2.1.332',
    entry: 'node_modules/@anthropic-ai/claude-code-linux-{arch}/claude',
    needs: 'glibc',
    description: 'Claude Code',
  },
  {
    bin: 'codex',
    package: '@openai/codex',
    version: '0.171.0',
    entry: 'node_modules/@openai/codex-linux-{arch}/vendor/{triple}-unknown-linux-musl/bin/codex',
    needs: 'none',
    description: 'OpenAI Codex CLI',
  },
  {
    bin: 'gemini',
    package: '@google/gemini-cli',
    version: '0.61.0',
    entry: 'node_modules/@google/gemini-cli/bundle/gemini.js',
    needs: 'node',
    description: 'Gemini CLI',
  },
  {
    bin: 'opencode',
    package: 'opencode-ai',
    version: '1.18.33',
    entry: 'node_modules/opencode-linux-{arch}{baseline}/bin/opencode',
    needs: 'glibc',
    description: 'opencode',
  },
];

/** Where agent sessions find the volume, read-only. */
export const AGENTS_MOUNT = '/opt/berth/agents';
export const AGENTS_BIN = `${AGENTS_MOUNT}/bin`;
/** Written last by a fill that succeeded: a volume without it is not used. */
export const AGENTS_MANIFEST = 'berth-agents.json';
/** The glibc dynamic loaders a `glibc` tool needs (x86-64, arm64). */
export const GLIBC_LOADERS = ['/lib64/ld-linux-x86-64.so.2', '/lib/ld-linux-aarch64.so.1'];
export const MIN_NODE_MAJOR = 20;
/** Bumped when the fill's layout changes, so a volume made the old way is not taken for the new. */
const FILL_LAYOUT = 1;

/** What a finished fill wrote into the volume (AGENTS_MANIFEST). */
export interface AgentToolsManifest {
  set: string;
  installedAt: string;
  sizeBytes: number;
  tools: Array<{ bin: string; package: string; version: string; needs: ToolNeeds; reported: string }>;
}

/** A short hash of the pinned set: the volume's name changes with any version. */
export function toolSetHash(tools: readonly AgentTool[]): string {
  const canonical = JSON.stringify({
    layout: FILL_LAYOUT,
    tools: tools.map((t) => [t.bin, t.package, t.version, t.entry]),
  });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 12);
}

export const agentsVolumeName = (tools: readonly AgentTool[] = AGENT_TOOLS) =>
  `berth-agents-${toolSetHash(tools)}`;

export function findTool(tools: readonly AgentTool[], bin: string): AgentTool | undefined {
  return tools.find((t) => t.bin === bin);
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const SAFE_WORD = /^[A-Za-z0-9@/._{}-]+$/;

/**
 * The fill, run as root in a short-lived container of berth's session image (it has Node and
 * npm) with the volume at AGENTS_MOUNT: empties it (a fill cut short left things behind),
 * installs the packages, links each command to its entry, runs each `--version`, and writes the
 * manifest last. Its output is the progress; a non-zero exit leaves no manifest.
 */
export function fillScript(tools: readonly AgentTool[]): string {
  for (const t of tools) {
    if (![t.bin, t.package, t.version, t.entry].every((w) => SAFE_WORD.test(w))) {
      throw new Error(`agent tool ${t.bin}: a name, version or entry berth will not put in a script`);
    }
  }
  const specs = tools.map((t) => shellQuote(`${t.package}@${t.version}`)).join(' ');
  const links = tools.map((t) => `link ${shellQuote(t.bin)} ${shellQuote(t.entry)}`).join('\n');
  const checks = tools.map(
    (t) => `check ${shellQuote(t.bin)} ${shellQuote(t.package)} ${t.version} ${t.needs}`,
  );
  return `set -eu
T=${AGENTS_MOUNT}
find "$T" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
case "$(uname -m)" in
  x86_64) arch=x64 triple=x86_64 ;;
  aarch64|arm64) arch=arm64 triple=aarch64 ;;
  *) echo "berth: the agents have no build for $(uname -m)" >&2; exit 3 ;;
esac
baseline=
if [ "$arch" = x64 ] && ! grep -qw avx2 /proc/cpuinfo 2>/dev/null; then baseline=-baseline; fi
export HOME=/tmp/berth-fill npm_config_cache=/tmp/berth-fill/cache npm_config_update_notifier=false
echo "berth: npm install ${specs.replace(/'/g, '')}"
npm install --prefix "$T" --ignore-scripts --no-audit --no-fund --loglevel=http ${specs} 2>&1
mkdir -p "$T/bin"
link() {
  e=$(printf '%s' "$2" | sed -e "s/{arch}/$arch/g" -e "s/{triple}/$triple/g" -e "s/{baseline}/$baseline/g")
  if [ ! -f "$T/$e" ]; then echo "berth: $1: $e is not in what npm installed" >&2; exit 4; fi
  chmod 755 "$T/$e"
  ln -s "../$e" "$T/bin/$1"
}
${links}
tools=
check() {
  out=$(cd /tmp && timeout 120 "$T/bin/$1" --version 2>&1) || { echo "berth: $1 --version failed: $out" >&2; exit 5; }
  v=$(printf '%s\\n' "$out" | tail -n 1)
  echo "berth: $1: $v"
  v=$(printf '%s' "$v" | tr -d '"\\\\' | tr -c '[:print:]' ' ')
  tools="$tools\${tools:+,}{\\"bin\\":\\"$1\\",\\"package\\":\\"$2\\",\\"version\\":\\"$3\\",\\"needs\\":\\"$4\\",\\"reported\\":\\"$v\\"}"
}
${checks.join('\n')}
size=$(du -sk "$T" | cut -f1)
echo "berth: the agents take $((size / 1024)) MiB"
printf '{"set":"%s","installedAt":"%s","sizeBytes":%s,"tools":[%s]}\\n' "$1" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$((size * 1024))" "$tools" > "$T/.manifest.tmp"
sync
mv "$T/.manifest.tmp" "$T/${AGENTS_MANIFEST}"
sync
echo "berth: done"
`;
}

/** The manifest as the volume holds it, or null when it is not one (a fill cut short, another layout). */
export function parseManifest(text: string, set: string): AgentToolsManifest | null {
  try {
    const m = JSON.parse(text) as AgentToolsManifest;
    if (m.set !== set || !Array.isArray(m.tools)) return null;
    return m;
  } catch {
    return null;
  }
}
