import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/**
 * Read by berth, but no one sets them: the launcher marks its own re-exec after dropping root
 * with BERTH_LAUNCHER_DROPPED; the daemon hands its egress relay container where to find it and
 * its token with BERTH_EGRESS_DAEMON and BERTH_EGRESS_TOKEN. (Test files are not scanned: what
 * only tests read is theirs.)
 */
const INTERNAL = new Set(['BERTH_LAUNCHER_DROPPED', 'BERTH_EGRESS_DAEMON', 'BERTH_EGRESS_TOKEN']);

/** The packages' sources (not their tests), the dashboard's dev server config and the scripts. */
function codeFiles(): string[] {
  const out: string[] = ['packages/web/vite.config.ts'];
  const walk = (dir: string, source: RegExp) => {
    for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(path, source);
      else if (source.test(e.name) && !/\.test\.[mc]?[jt]sx?$/.test(e.name)) out.push(path);
    }
  };
  for (const pkg of readdirSync(join(ROOT, 'packages'))) walk(`packages/${pkg}/src`, /\.tsx?$/);
  // The scripts and their folders (the bench's scenarios read variables too).
  walk('scripts', /\.m?[jt]s$/);
  return out;
}

/** berth's image launcher and the compose files, which read `$BERTH_X` / `${BERTH_X:-…}`. */
const SHELL_FILES = ['docker/berth/launcher.sh', 'compose.yaml', 'docker/compose.local-postgres.yaml'];

const CODE_READS = [
  /\benv\.(BERTH_[A-Z0-9_]+)/g, // process.env.BERTH_X, env.BERTH_X
  /\benv\[\s*['"](BERTH_[A-Z0-9_]+)['"]\s*\]/g, // env['BERTH_X']
  /\b[a-zA-Z]+\(\s*env,\s*['"](BERTH_[A-Z0-9_]+)['"]/g, // intFrom(env, 'BERTH_X', …) and its kin
];
const SHELL_READS = [/\$\{?(BERTH_[A-Z0-9_]+)/g];

function namesIn(text: string, patterns: RegExp[]): string[] {
  return patterns.flatMap((re) => [...text.matchAll(re)].map((m) => m[1]!));
}

function readInCode(): Set<string> {
  const names = [
    ...codeFiles().flatMap((f) => namesIn(read(f), CODE_READS)),
    ...SHELL_FILES.flatMap((f) => namesIn(read(f), SHELL_READS)),
  ];
  return new Set(names.filter((n) => !INTERNAL.has(n)));
}

const doc = read('docs/configuration.md');
const documented = new Set([...doc.matchAll(/^\|\s*`(BERTH_[A-Z0-9_]+)`\s*\|/gm)].map((m) => m[1]!));

describe('docs/configuration.md', () => {
  it('finds what the code reads (the patterns see the variables they are meant to)', () => {
    expect([...readInCode()]).toEqual(
      expect.arrayContaining([
        'BERTH_HOME',
        'BERTH_SECRET_KEY', // env.BERTH_X
        'BERTH_LOG_LEVEL', // process.env.BERTH_X
        'BERTH_HTTP_LOG_LEVEL',
        'BERTH_NETWORK',
        'BERTH_SESSION_GID', // intFrom(env, 'BERTH_X', …)
        'BERTH_AGENT_MEMORY', // sizeFrom(env, 'BERTH_X', …)
        'BERTH_WORKSPACE', // the launcher
        'BERTH_DB_PASSWORD', // compose
      ]),
    );
  });

  it('documents every BERTH_* variable the code reads', () => {
    const missing = [...readInCode()].filter((n) => !documented.has(n)).sort();
    expect(missing).toEqual([]);
  });

  it('documents no variable the code does not read', () => {
    const code = readInCode();
    expect([...documented].filter((n) => !code.has(n)).sort()).toEqual([]);
  });

  it('is where README sends a reader for the environment', () => {
    const paragraph = /^Environment:[\s\S]*?\n\n/m.exec(read('README.md'))?.[0] ?? '';
    expect(paragraph).toContain('(docs/configuration.md)');
  });
});
