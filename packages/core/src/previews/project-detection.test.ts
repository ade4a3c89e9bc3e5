import { describe, expect, it } from 'vitest';
import { checkPreviewRequest, detectProject, parseProjectFacts, planPreview } from './project-detection.js';

const facts = (files: string[], pkg?: object, bins = ['node', 'npm']) =>
  parseProjectFacts(
    [
      ...files.map((f) => `has:${f}`),
      ...bins.map((b) => `bin:${b}`),
      '--package.json--',
      pkg ? JSON.stringify(pkg) : '',
    ].join('\n'),
  );

describe('project detection', () => {
  it('knows Vite, Astro and Next by dependency or config file, bound to 0.0.0.0', () => {
    expect(detectProject(facts(['package.json'], { devDependencies: { vite: '^5' } }))).toEqual({
      projectType: 'vite',
      command: ['node_modules/.bin/vite', '--host', '0.0.0.0', '--port', '5173', '--strictPort'],
      containerPort: 5173,
    });
    expect(detectProject(facts(['package.json', 'vite.config.ts'], {}))?.projectType).toBe('vite');
    expect(detectProject(facts(['package.json'], { dependencies: { astro: '4' } }))?.containerPort).toBe(
      4321,
    );
    expect(detectProject(facts(['package.json', 'next.config.mjs'], {}))?.projectType).toBe('next');
  });

  it('runs a dev script before a start script, then Python, then static files', () => {
    expect(
      detectProject(facts(['package.json'], { scripts: { start: 'node s', dev: 'node d' } }))?.command,
    ).toEqual(['npm', 'run', 'dev']);
    expect(detectProject(facts(['package.json'], { scripts: { start: 'node s' } }))?.command).toEqual([
      'npm',
      'run',
      'start',
    ]);
    expect(detectProject(facts(['manage.py']))?.projectType).toBe('django');
    expect(detectProject(facts(['app.py']))?.command).toEqual(['python3', 'app.py']);
    expect(detectProject(facts(['index.html'], undefined, ['python3']))?.command[0]).toBe('python3');
    expect(detectProject(facts(['public/index.html'], undefined, ['busybox']))?.command).toContain('public');
    expect(detectProject(facts(['README.md']))).toBeNull();
  });

  it('installs only when package.json is there without node_modules', () => {
    const vite = { devDependencies: { vite: '^5' } };
    expect(planPreview(facts(['package.json'], vite), {}, 'x').needsInstall).toBe(true);
    expect(planPreview(facts(['package.json', 'node_modules'], vite), {}, 'x').needsInstall).toBe(false);
  });

  it("takes the user's command and port over detection, and swaps the port in a detected command", () => {
    const vite = facts(['package.json'], { devDependencies: { vite: '^5' } });
    expect(planPreview(vite, { port: 3001 }, 'x').command).toContain('3001');
    expect(planPreview(vite, { command: ['make', 'serve'] }, 'x')).toMatchObject({
      projectType: 'custom',
      containerPort: 5173,
      env: { HOST: '0.0.0.0', PORT: '5173' },
    });
    expect(() => planPreview(facts([]), { command: ['serve'] }, 'x')).toThrow(/which port/);
    expect(() => planPreview(facts([]), {}, 'x')).toThrow(/cannot tell how to run a preview/);
  });

  it('refuses malformed overrides before anything is made', () => {
    expect(checkPreviewRequest(true)).toEqual({});
    expect(() => checkPreviewRequest({ port: 0 })).toThrow(/between 1 and 65535/);
    expect(() => checkPreviewRequest({ command: [] })).toThrow(/non-empty list/);
    expect(() => checkPreviewRequest({ command: ['a\0b'] })).toThrow(/non-empty list/);
    expect(() => checkPreviewRequest('yes')).toThrow(/true or/);
  });

  it('survives a package.json that is not JSON', () => {
    expect(parseProjectFacts('has:package.json\n--package.json--\n{oops').packageJson).toEqual({});
  });
});
