import { DEFAULT_IMAGE } from '../config/config.js';
import { InvalidInput } from '../errors/berth-error.js';

/** What a session's dev server is and how to run it: detected, or given by the user. */
export interface PreviewPlan {
  /** vite, astro, next, node, django, python, static, or custom (the user's command). */
  projectType: string;
  command: string[];
  containerPort: number;
  /** Variables the dev server gets besides the session's own (HOST, PORT). */
  env: Record<string, string>;
  /** Whether `npm install` must run before it (package.json and no node_modules). */
  needsInstall: boolean;
}

/** The user's overrides: `--preview-command`, `--preview-port`. */
export interface PreviewRequest {
  command?: string[];
  port?: number;
}

/**
 * Runs INSIDE the container as the session's user (the workspace is untrusted: the host never
 * follows its symlinks). Prints `has:NAME` for each file present, `bin:NAME` for each tool on
 * PATH, then package.json (bounded) after a marker line.
 */
export const DETECT_SCRIPT = `cd /workspace || exit 3
for f in package.json node_modules vite.config.js vite.config.mjs vite.config.ts vite.config.mts vite.config.cjs \\
  astro.config.mjs astro.config.js astro.config.ts next.config.js next.config.mjs next.config.ts \\
  manage.py app.py main.py index.html public/index.html; do
  [ -e "$f" ] && echo "has:$f"
done
for b in node npm python3 busybox; do command -v "$b" >/dev/null 2>&1 && echo "bin:$b"; done
echo "--package.json--"
[ -f package.json ] && head -c 262144 package.json
exit 0`;

export interface ProjectFacts {
  files: Set<string>;
  bins: Set<string>;
  packageJson: {
    scripts?: Record<string, unknown>;
    dependencies?: Record<string, unknown>;
    devDependencies?: Record<string, unknown>;
  } | null;
}

export function parseProjectFacts(output: string): ProjectFacts {
  const marker = output.indexOf('--package.json--\n');
  const head = marker < 0 ? output : output.slice(0, marker);
  const pkgText = marker < 0 ? '' : output.slice(marker + '--package.json--\n'.length);
  const files = new Set<string>();
  const bins = new Set<string>();
  for (const line of head.split('\n')) {
    if (line.startsWith('has:')) files.add(line.slice(4));
    if (line.startsWith('bin:')) bins.add(line.slice(4));
  }
  let packageJson: ProjectFacts['packageJson'] = null;
  if (pkgText.trim()) {
    try {
      const parsed: unknown = JSON.parse(pkgText);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        packageJson = parsed as NonNullable<ProjectFacts['packageJson']>;
      }
    } catch {
      packageJson = {}; // present but not JSON: npm will say why when it runs
    }
  }
  return { files, bins, packageJson };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function dependsOn(facts: ProjectFacts, name: string): boolean {
  const p = facts.packageJson;
  if (!p) return false;
  return (
    (isRecord(p.dependencies) && name in p.dependencies) ||
    (isRecord(p.devDependencies) && name in p.devDependencies)
  );
}

function hasScript(facts: ProjectFacts, name: string): boolean {
  const s = facts.packageJson?.scripts;
  return isRecord(s) && typeof s[name] === 'string';
}

const hasAny = (facts: ProjectFacts, prefix: string) => [...facts.files].some((f) => f.startsWith(prefix));

/** The dev server berth would run for these facts, or null when it cannot tell. */
export function detectProject(facts: ProjectFacts): Omit<PreviewPlan, 'needsInstall' | 'env'> | null {
  const bin = (tool: string) => `node_modules/.bin/${tool}`;
  if (facts.packageJson) {
    if (dependsOn(facts, 'vite') || hasAny(facts, 'vite.config.')) {
      const port = 5173;
      return {
        projectType: 'vite',
        command: [bin('vite'), '--host', '0.0.0.0', '--port', String(port), '--strictPort'],
        containerPort: port,
      };
    }
    if (dependsOn(facts, 'astro') || hasAny(facts, 'astro.config.')) {
      return {
        projectType: 'astro',
        command: [bin('astro'), 'dev', '--host', '0.0.0.0', '--port', '4321'],
        containerPort: 4321,
      };
    }
    if (dependsOn(facts, 'next') || hasAny(facts, 'next.config.')) {
      return {
        projectType: 'next',
        command: [bin('next'), 'dev', '--hostname', '0.0.0.0', '--port', '3000'],
        containerPort: 3000,
      };
    }
    for (const script of ['dev', 'start']) {
      if (hasScript(facts, script)) {
        return { projectType: 'node', command: ['npm', 'run', script], containerPort: 3000 };
      }
    }
  }
  if (facts.files.has('manage.py')) {
    return {
      projectType: 'django',
      command: ['python3', 'manage.py', 'runserver', '0.0.0.0:8000'],
      containerPort: 8000,
    };
  }
  for (const entry of ['app.py', 'main.py']) {
    if (facts.files.has(entry))
      return { projectType: 'python', command: ['python3', entry], containerPort: 8000 };
  }
  const root = facts.files.has('index.html') ? '.' : facts.files.has('public/index.html') ? 'public' : null;
  if (root) {
    const command = facts.bins.has('python3')
      ? ['python3', '-m', 'http.server', '8080', '--bind', '0.0.0.0', '--directory', root]
      : ['busybox', 'httpd', '-f', '-p', '0.0.0.0:8080', '-h', root];
    return { projectType: 'static', command, containerPort: 8080 };
  }
  return null;
}

/** Checks the user's overrides before anything is made: bad input changes nothing. */
export function checkPreviewRequest(raw: unknown): PreviewRequest {
  if (raw === true || raw === undefined || raw === null) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidInput('preview must be true or { command?, port? }');
  }
  const { command, port } = raw as { command?: unknown; port?: unknown };
  const out: PreviewRequest = {};
  if (command !== undefined) {
    if (
      !Array.isArray(command) ||
      command.length === 0 ||
      command.length > 256 ||
      command.some((c) => typeof c !== 'string' || c.includes('\0') || c.length > 8192)
    ) {
      throw new InvalidInput('a preview command is a non-empty list of arguments without NUL', {
        hint: 'e.g. --preview-command "npm run dev -- --host 0.0.0.0"',
      });
    }
    out.command = command as string[];
  }
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      throw new InvalidInput(`preview port must be a whole number between 1 and 65535, not ${String(port)}`, {
        hint: 'give the port the dev server listens on inside the session, e.g. --preview-port 5173',
      });
    }
    out.port = port;
  }
  return out;
}

/** Detection with the user's overrides on top; fails clearly when neither says what to run. */
export function planPreview(facts: ProjectFacts, request: PreviewRequest, sessionName: string): PreviewPlan {
  const detected = detectProject(facts);
  const needsInstall = facts.packageJson !== null && !facts.files.has('node_modules');
  if (request.command) {
    const containerPort = request.port ?? detected?.containerPort;
    if (containerPort === undefined) {
      throw new InvalidInput('berth cannot tell which port this preview command listens on', {
        hint: 'add --preview-port PORT (the port inside the session)',
      });
    }
    return {
      projectType: 'custom',
      command: request.command,
      containerPort,
      env: { HOST: '0.0.0.0', PORT: String(containerPort) },
      needsInstall,
    };
  }
  if (!detected) {
    throw new InvalidInput(`berth cannot tell how to run a preview of session '${sessionName}'`, {
      hint:
        'it looks for Vite, Astro, Next, a package.json dev/start script, manage.py, app.py/main.py or index.html; ' +
        'give one with --preview-command CMD --preview-port PORT',
    });
  }
  let { command, containerPort } = detected;
  if (request.port !== undefined && request.port !== containerPort) {
    // The detected command names its port: swap it for the user's.
    const from = String(containerPort);
    command = command.map((a) => a.replace(new RegExp(`(^|:)${from}$`), `$1${request.port}`));
    containerPort = request.port;
  }
  return {
    ...detected,
    command,
    containerPort,
    env: { HOST: '0.0.0.0', PORT: String(containerPort) },
    needsInstall: needsInstall && detected.projectType !== 'static',
  };
}

/** The tools a plan runs inside the session: npm for the install, node or python3 for the server. */
export function toolsNeeded(plan: PreviewPlan): string[] {
  const tools = new Set<string>(plan.needsInstall ? ['node', 'npm'] : []);
  switch (plan.projectType) {
    case 'vite':
    case 'astro':
    case 'next':
      tools.add('node');
      break;
    case 'node':
      tools.add('node').add('npm');
      break;
    case 'django':
    case 'python':
      tools.add('python3');
      break;
    case 'static':
      if (plan.command[0]) tools.add(plan.command[0]);
      break;
  }
  return [...tools];
}

/**
 * Refuses a plan whose tools the session's image lacks (`bins`: what detection found on PATH),
 * naming what is missing and the image that has it, before anything runs.
 */
export function requireProjectRuntime(
  plan: PreviewPlan,
  bins: ReadonlySet<string>,
  where: { session: string; image: string },
): void {
  const missing = toolsNeeded(plan).filter((tool) => !bins.has(tool));
  if (missing.length === 0) return;
  const what =
    plan.projectType === 'custom'
      ? 'npm install of its package.json'
      : `${plan.projectType} project it found`;
  const them = missing.length === 1 ? 'it' : 'them';
  throw new InvalidInput(
    `session '${where.session}' runs image ${where.image}, which has no ${missing.join(' or ')}: ` +
      `the ${what} needs ${them}`,
    {
      hint:
        where.image === DEFAULT_IMAGE
          ? `this ${DEFAULT_IMAGE} was built before it carried Node.js and Python 3: rebuild it with \`berth image build\``
          : `use berth's session image, which has Node.js, npm and Python 3: \`--image ${DEFAULT_IMAGE}\` ` +
            `(\`berth image build\` makes it), or an --image that has ${missing.join(' and ')}`,
    },
  );
}
