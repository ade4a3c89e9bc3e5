/**
 * berth on each Node.js LTS it supports besides 20, on a machine that has only one Node: setup
 * (`scripts/setup.mjs --for-tests`) fetches the pinned official builds of 22 and 24 into
 * node_modules/.cache/berth/ and builds better-sqlite3 for each one's ABI beside it; here the built
 * CLI, and the daemon it starts, run under each, on the SQLite store users get by default. The
 * tests' own Node stands in for its own major.
 */
import { existsSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BERTH_VERSION } from '@berth/api';
import { containersOf, makeRepo } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MANIFEST = join(ROOT, 'node_modules/.cache/berth/node-versions.json');
const SQLITE_HOOK = fileURLToPath(new URL('./sqlite-binding.cjs', import.meta.url));
const MAJORS = ['22', '24'];

interface Manifest {
  skipped?: string;
  nodes: { version: string; node: string; sqliteBinding: string }[];
}

const manifest: Manifest | null = existsSync(MANIFEST)
  ? (JSON.parse(readFileSync(MANIFEST, 'utf8')) as Manifest)
  : null;

/** The Node binary for a major, the better-sqlite3 build it loads, and the environment that loads it. */
function nodeFor(major: string): { node: string; version: string; sqlite: string; env: NodeJS.ProcessEnv } {
  if (process.versions.node.split('.')[0] === major) {
    const sqlite = join(ROOT, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    return { node: process.execPath, version: process.versions.node, sqlite, env: {} };
  }
  const found = manifest?.nodes.find((n) => n.version.split('.')[0] === major);
  if (!found) {
    throw new Error(
      `no Node ${major} in ${MANIFEST}: run \`node scripts/setup.mjs --for-tests\` (it fetches Node 22 and 24 once)`,
    );
  }
  return {
    node: found.node,
    version: found.version,
    sqlite: found.sqliteBinding,
    env: {
      NODE_OPTIONS: `--require ${JSON.stringify(SQLITE_HOOK)}`,
      BERTH_TEST_SQLITE_BINDING: found.sqliteBinding,
    },
  };
}

interface Check {
  name: string;
  status: string;
  detail: string;
}

describe.skipIf(Boolean(manifest?.skipped))(
  `berth under Node ${MAJORS.join(' and ')}${manifest?.skipped ? ` (skipped: ${manifest.skipped})` : ''}`,
  () => {
    for (const major of MAJORS) {
      describe(`Node ${major}`, () => {
        // No PostgreSQL from the shell: the daemon keeps the SQLite file under its BERTH_HOME.
        const cli = () => {
          const { env, ...found } = nodeFor(major);
          return { ...found, cli: berthCli({ ...env, BERTH_DATABASE_URL: '' }, { node: found.node }) };
        };

        it('berth --version prints the version', async () => {
          const { cli: berth } = cli();
          const r = await berth.run('--version');
          expect(r.stderr).toBe('');
          expect(r.stdout.trim()).toBe(BERTH_VERSION);
          expect(r.code).toBe(0);
        });

        it('berth doctor --json passes and names this Node', async () => {
          const { cli: berth, version } = cli();
          const r = await berth.run('doctor', '--json');
          const report = JSON.parse(r.stdout) as { ok: boolean; checks: Check[] };
          expect(report.checks.find((c) => c.name === 'node')).toMatchObject({
            status: 'ok',
            detail: version,
          });
          expect(report.ok, JSON.stringify(report.checks)).toBe(true);
          expect(r.code).toBe(0);
        });

        it('the daemon it starts runs on SQLite: a session is made, exec runs in it, and it is removed', async () => {
          const { cli: berth, node, sqlite } = cli();
          const repo = makeRepo({ 'hello.txt': `from node ${major}\n` });

          const created = await berth.run('new', 'lts', '--repo', repo, '--json');
          expect(created.stderr).toContain('started one');
          expect(created.code, created.stderr).toBe(0);
          expect(JSON.parse(created.stdout)).toMatchObject({ name: 'lts', status: 'running' });

          // The daemon is this Node's process, with better-sqlite3 built for it loaded, and its
          // store the SQLite file.
          const status = await berth.json<{ running: boolean; pid: number }>('daemon', 'status');
          expect(status.running).toBe(true);
          expect(realpathSync(readlinkSync(`/proc/${status.pid}/exe`))).toBe(realpathSync(node));
          expect(readFileSync(`/proc/${status.pid}/maps`, 'utf8')).toContain(realpathSync(sqlite));
          expect(existsSync(join(berth.home, 'berth.db'))).toBe(true);

          const out = await berth.run('exec', 'lts', '--', 'cat', 'hello.txt');
          expect(out).toMatchObject({ code: 0, stdout: `from node ${major}\n`, stderr: '' });
          const failed = await berth.run('exec', 'lts', '--', 'sh', '-c', 'exit 3');
          expect(failed.code).toBe(3);

          expect((await berth.run('cancel', 'lts')).code).toBe(0);
          expect((await berth.run('rm', 'lts')).code).toBe(0);
          expect(await berth.json('ls', '--all')).toEqual([]);
          expect(await containersOf(berth.home)).toHaveLength(0);

          const stopped = await berth.run('daemon', 'stop');
          expect(stopped.code, stopped.stderr).toBe(0);
          expect(readFileSync(join(berth.home, 'daemon.log'), 'utf8')).not.toMatch(/"level":(50|60)/);
        }, 120_000);
      });
    }
  },
);
