import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../errors/berth-error.js';
import {
  checkPreviewRequest,
  detectProject,
  parseProjectFacts,
  planPreview,
  requireProjectRuntime,
  toolsNeeded,
} from './project-detection.js';

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

  it('names the tools each kind of project needs: npm for the install, node or python3 for the server', () => {
    const needs = (f: ReturnType<typeof facts>, request = {}) => toolsNeeded(planPreview(f, request, 'x'));
    expect(needs(facts(['package.json'], { devDependencies: { vite: '^5' } }))).toEqual(['node', 'npm']);
    expect(needs(facts(['package.json', 'node_modules'], { devDependencies: { next: '15' } }))).toEqual([
      'node',
    ]);
    expect(needs(facts(['package.json', 'node_modules'], { scripts: { dev: 'x' } }))).toEqual([
      'node',
      'npm',
    ]);
    expect(needs(facts(['manage.py']))).toEqual(['python3']);
    expect(needs(facts(['main.py']))).toEqual(['python3']);
    expect(needs(facts(['index.html'], undefined, ['busybox']))).toEqual(['busybox']);
    expect(needs(facts(['README.md']), { command: ['make', 'serve'], port: 80 })).toEqual([]);
    expect(needs(facts(['package.json'], {}), { command: ['make', 'serve'], port: 80 })).toEqual([
      'node',
      'npm',
    ]);
  });

  it('refuses a project whose runtime the image lacks, naming what is missing and the image to use', () => {
    const vite = facts(['package.json'], { devDependencies: { vite: '^5' } }, ['busybox']);
    const where = { session: 'web', image: 'berth-test/busybox:1' };
    let err: unknown;
    try {
      requireProjectRuntime(planPreview(vite, {}, 'web'), vite.bins, where);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInput);
    expect((err as InvalidInput).message).toBe(
      "session 'web' runs image berth-test/busybox:1, which has no node or npm: the vite project it found needs them",
    );
    expect((err as InvalidInput).hint).toContain('--image berth/session:bookworm');
    expect((err as InvalidInput).hint).toContain('berth image build');

    const app = facts(['app.py'], undefined, ['node', 'npm']);
    expect(() => requireProjectRuntime(planPreview(app, {}, 'py'), app.bins, where)).toThrow(
      /has no python3: the python project it found needs it/,
    );
    // An old default image built before it had Node: rebuild it.
    expect(() =>
      requireProjectRuntime(planPreview(vite, {}, 'web'), vite.bins, {
        ...where,
        image: 'berth/session:bookworm',
      }),
    ).toThrow(
      expect.objectContaining({ hint: expect.stringContaining('rebuild it with `berth image build`') }),
    );
    // What the image has passes; so does a command of the user's own that needs no install.
    const ok = facts(['package.json'], { devDependencies: { vite: '^5' } }, ['node', 'npm']);
    expect(() => requireProjectRuntime(planPreview(ok, {}, 'web'), ok.bins, where)).not.toThrow();
    const own = facts(['index.html'], undefined, []);
    expect(() =>
      requireProjectRuntime(planPreview(own, { command: ['httpd'], port: 80 }, 'web'), own.bins, where),
    ).not.toThrow();
  });
});
