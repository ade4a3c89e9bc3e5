// The dashboard bundles `@berth/api`: its root must load in a browser. This walks the root's
// import graph through the sources and fails on anything of Node's, or `ws`, anywhere in it.
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = dirname(fileURLToPath(import.meta.url));
const NODE_ONLY = new Set(['ws', ...builtinModules]);

// Static imports and re-exports (type-only ones too: a browser build should not need Node's
// types either), side-effect imports and dynamic imports.
const SPECIFIERS = [
  /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
];

function specifiersOf(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  return SPECIFIERS.flatMap((re) => [...code.matchAll(re)].map((m) => m[1]!));
}

/** Every module the entry reaches, and each bare import with the file that makes it. */
function importGraph(entry: string): { files: string[]; bare: { file: string; spec: string }[] } {
  const seen = new Set<string>();
  const bare: { file: string; spec: string }[] = [];
  const walk = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of specifiersOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) walk(join(dirname(file), spec.replace(/\.js$/, '.ts')));
      else bare.push({ file: relative(SRC, file), spec });
    }
  };
  walk(entry);
  return { files: [...seen].map((f) => relative(SRC, f)), bare };
}

const nodeOnly = (spec: string) => spec.startsWith('node:') || NODE_ONLY.has(spec.split('/')[0]!);

describe('the @berth/api root', () => {
  it('imports nothing of Node or ws, however deep', () => {
    const { files, bare } = importGraph(join(SRC, 'index.ts'));
    expect(files).toContain('client.ts');
    expect(bare.filter((b) => nodeOnly(b.spec))).toEqual([]);
  });

  it('is checked by a walk that would see them', () => {
    const specs = specifiersOf(readFileSync(join(SRC, 'node-transport.ts'), 'utf8'));
    expect(specs.filter(nodeOnly)).toEqual(['node:http', 'node:stream', 'ws']);
  });
});
