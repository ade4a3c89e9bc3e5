import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url)).replace(/\/$/, '');
const pkgs = `${root}/packages`;
const escapeRegExp = (s: string) => s.replace(/[.*+?^$()|[\]\\{}]/g, '\\$&');

/**
 * Tests run the packages' sources: every entry a package's `exports` lists (`@berth/x`,
 * `@berth/x/sub`) maps to the source its dist file is built from (`./dist/a/b.js` from
 * `./src/a/b.ts`). The exports are the one list: the aliases are made from them here, and
 * tsconfig.test.json's `paths` (JSON, so written out) must be exactly the same map, or no test
 * starts. A name no package exports resolves in neither.
 */
function exportedSources(): Map<string, string> {
  const sources = new Map<string, string>();
  for (const dir of readdirSync(pkgs).sort()) {
    const file = `${pkgs}/${dir}/package.json`;
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
      name: string;
      exports?: Record<string, { default: string }>;
    };
    for (const [sub, target] of Object.entries(pkg.exports ?? {})) {
      const built = /^\.\/dist\/(.+)\.js$/.exec(target.default);
      if (!built) throw new Error(`${file}: export ${sub} is not a ./dist/*.js file`);
      const source = `packages/${dir}/src/${built[1]}.ts`;
      if (!existsSync(`${root}/${source}`))
        throw new Error(`${file}: export ${sub} has no source at ${source}`);
      sources.set(sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`, source);
    }
  }
  return sources;
}

function checkTestPaths(sources: Map<string, string>): void {
  const file = `${root}/tsconfig.test.json`;
  const { config, error } = ts.readConfigFile(file, ts.sys.readFile);
  if (error) throw new Error(`${file}: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  const want = Object.fromEntries([...sources].map(([name, source]) => [name, [`./${source}`]]));
  const have =
    (config as { compilerOptions?: { paths?: Record<string, string[]> } }).compilerOptions?.paths ?? {};
  const sorted = (o: Record<string, string[]>) =>
    JSON.stringify(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
  if (sorted(have) !== sorted(want)) {
    throw new Error(
      `tsconfig.test.json "paths" must be the packages' exports, mapped to their sources:\n"paths": ${JSON.stringify(want, null, 2)}`,
    );
  }
}

const sources = exportedSources();
checkTestPaths(sources);

export default defineConfig({
  resolve: {
    alias: [...sources].map(([name, source]) => ({
      find: new RegExp(`^${escapeRegExp(name)}$`),
      replacement: `${root}/${source}`,
    })),
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      // The dashboard's component tests pick jsdom per file (`// @vitest-environment jsdom`).
      'packages/web/src/**/*.test.tsx',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores and one engine: run files two at a time so timings stay sane.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
