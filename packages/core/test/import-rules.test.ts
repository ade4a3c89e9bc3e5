/**
 * The import-direction rules of biome.json, proven on planted files: each forbidden import, put in
 * a file of the package it is forbidden in, fails the lint; the allowed imports beside them pass.
 *
 * The planted files go into a scratch copy of the repository's layout with biome.json copied in
 * as it is now, never into the shared working tree. (Biome's stdin mode, `--stdin-file-path`,
 * reports no diagnostics at all by design, so it cannot show a rule firing.)
 */
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CONFIG = fileURLToPath(new URL('../../../biome.json', import.meta.url));
const BIOME = fileURLToPath(new URL('../../../node_modules/.bin/biome', import.meta.url));

interface Diagnostic {
  category: string;
  severity: string;
  message: string;
  location: { path: string };
}

/** A module that imports `specifier` and uses what it took (so no other rule has a say). */
function planted(specifier: string, typeOnly = false): string {
  return typeOnly
    ? `import type * as planted from '${specifier}';\nexport type Planted = typeof planted;\n`
    : `import * as planted from '${specifier}';\nexport const kept = planted;\n`;
}

const RESTRICTED = 'lint/style/noRestrictedImports';

interface Case {
  /** The planted file's path: inside the package the rule is for. */
  file: string;
  specifier: string;
  typeOnly?: boolean;
}

const CORE = 'packages/core/src/session/planted.ts';
const CORE_RUNTIME = 'packages/core/src/runtime/planted.ts';
const SERVER = 'packages/server/src/planted.ts';
const API = 'packages/api/src/planted.ts';
const WEB = 'packages/web/src/planted.ts';

const forbidden: Case[] = [
  // core knows nothing of HTTP, the CLI or the dashboard, and depends on nothing outside it
  ...[
    'fastify',
    '@fastify/websocket',
    'commander',
    'react',
    'react-dom',
    'react-dom/client',
    'react/jsx-runtime',
    '@berth/server',
    '@berth/cli',
    'berth',
  ].map((specifier) => ({ file: CORE, specifier })),
  { file: CORE_RUNTIME, specifier: 'fastify' },
  { file: CORE_RUNTIME, specifier: 'react' },
  // only the Docker driver speaks to the engine
  { file: CORE, specifier: 'dockerode' },
  { file: CORE, specifier: 'docker-modem' },
  { file: 'packages/core/src/egress/planted.ts', specifier: 'dockerode' },
  { file: 'packages/core/src/images/planted.ts', specifier: 'dockerode' },
  { file: CORE, specifier: 'dockerode', typeOnly: true },
  { file: SERVER, specifier: 'dockerode' },
  { file: SERVER, specifier: 'docker-modem' },
  { file: API, specifier: 'dockerode' },
  { file: API, specifier: 'docker-modem' },
  // the dashboard runs in a browser and speaks to berth through its API only
  { file: WEB, specifier: '@berth/core' },
  { file: WEB, specifier: '@berth/core/config' },
  { file: WEB, specifier: '@berth/server' },
  { file: WEB, specifier: 'node:fs' },
  { file: WEB, specifier: 'node:child_process' },
  { file: WEB, specifier: 'ws' },
];

const allowed: Case[] = [
  { file: CORE_RUNTIME, specifier: 'dockerode' },
  { file: CORE_RUNTIME, specifier: 'docker-modem' },
  { file: CORE, specifier: 'node:fs' },
  { file: CORE, specifier: '@berth/api/duration' },
  { file: CORE, specifier: '../runtime/docker-runtime.js' },
  { file: SERVER, specifier: 'fastify' },
  { file: SERVER, specifier: '@berth/core' },
  { file: API, specifier: 'typebox' },
  { file: WEB, specifier: '@berth/api', typeOnly: true },
  { file: WEB, specifier: '@berth/api/session-verbs' },
  { file: WEB, specifier: 'react' },
];

const label = (c: Case) => `${c.typeOnly ? 'type ' : ''}${c.specifier} in ${dirname(c.file)}`;

/** Where each case is planted: its own file, in the directory the case names. */
const plantedPath = (kind: string, i: number, c: Case) => join(dirname(c.file), `planted-${kind}-${i}.ts`);

let scratch = '';
const found = new Map<string, Diagnostic[]>();

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'berth-import-rules-'));
  copyFileSync(CONFIG, join(scratch, 'biome.json'));
  const plant = (kind: string) => (c: Case, i: number) => {
    const path = join(scratch, plantedPath(kind, i, c));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, planted(c.specifier, c.typeOnly));
  };
  forbidden.forEach(plant('forbidden'));
  allowed.forEach(plant('allowed'));
  // One run over every planted file; biome exits non-zero when any has an error, as half do.
  const out = await new Promise<string>((resolve, reject) => {
    execFile(
      BIOME,
      [
        'lint',
        '--reporter=json',
        '--max-diagnostics=none',
        `--config-path=${join(scratch, 'biome.json')}`,
        '.',
      ],
      { cwd: scratch, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (stdout.trim().startsWith('{')) resolve(stdout);
        else reject(new Error(`biome gave no report (${err?.message ?? 'no error'}): ${stderr}`));
      },
    );
  });
  for (const d of (JSON.parse(out) as { diagnostics: Diagnostic[] }).diagnostics) {
    const list = found.get(d.location.path) ?? [];
    list.push(d);
    found.set(d.location.path, list);
  }
}, 90_000);

afterAll(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('import-direction rules (biome.json)', () => {
  it.each(forbidden.map((c, i) => [label(c), i, c] as const))('refuses %s', (_, i, c) => {
    const diagnostics = found.get(plantedPath('forbidden', i, c)) ?? [];
    expect(diagnostics.map((d) => d.category)).toContain(RESTRICTED);
  });

  it.each(allowed.map((c, i) => [label(c), i, c] as const))('allows %s', (_, i, c) => {
    const diagnostics = found.get(plantedPath('allowed', i, c)) ?? [];
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
