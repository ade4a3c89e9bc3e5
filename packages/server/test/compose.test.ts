/**
 * compose.yaml, the team setup: both compose implementations accept it, and the stack really comes
 * up — berth's own image in daemon mode against the PostgreSQL service, both health checks green —
 * answers /health and a login on its published loopback port, and keeps its store in that
 * PostgreSQL. No registry here: the database is the local build (docker/compose.local-postgres.yaml,
 * berth/postgres:15, which setup builds once) and berth's image is the one setup builds
 * (berth/berth:dev); nothing is built or pulled per test.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BerthClient } from '@berth/api/node';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const COMPOSE_FILE = join(ROOT, 'compose.yaml');
const LOCAL_POSTGRES = join(ROOT, 'docker/compose.local-postgres.yaml');
const BERTH_IMAGE = 'berth/berth:dev';
const POSTGRES_IMAGE = 'berth/postgres:15';

const succeeds = (cmd: string, args: string[]) => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const imageExists = (ref: string) => succeeds('docker', ['image', 'inspect', ref]);

/** Compose v1 (Debian's docker-compose) and v2 (the docker CLI plugin), where each is installed. */
const COMPOSE_V1 = succeeds('docker-compose', ['version']) ? ['docker-compose'] : null;
const COMPOSE_V2 = succeeds('docker', ['compose', 'version']) ? ['docker', 'compose'] : null;
const NO_COMPOSE_WHY =
  'neither docker-compose nor `docker compose` is installed (setup installs docker-compose as root on Debian)';

/** The settings the stack needs, with nothing from this shell, a developer's .env or COMPOSE_* leaking in. */
function composeEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(BERTH_|COMPOSE_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(argv: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Run> {
  const [cmd, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { env, cwd: ROOT, timeout: timeoutMs, maxBuffer: 32 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** An empty env file, so that a .env beside compose.yaml (a developer's own) is not read. */
function emptyEnvFile(): { file: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-compose-env-'));
  const file = join(dir, 'empty.env');
  writeFileSync(file, '');
  return { file, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const PASSWORDS = { BERTH_DB_PASSWORD: 'dbpass', BERTH_ADMIN_PASSWORD: 'adminpass' };

describe.each([
  [
    'v1 (docker-compose)',
    COMPOSE_V1,
    'docker-compose (compose v1) is not installed; setup installs it as root on Debian',
  ],
  ['v2 (docker compose)', COMPOSE_V2, 'the docker CLI has no compose plugin (compose v2) here'],
])('compose %s config', (_name, compose, why) => {
  if (!compose) console.warn(`skipping compose ${_name} config: ${why}`);

  it.skipIf(!compose)('accepts compose.yaml and the local-PostgreSQL override', async () => {
    const envFile = emptyEnvFile();
    try {
      const env = composeEnv(PASSWORDS);
      const base = [...compose!, '--env-file', envFile.file, '-f', COMPOSE_FILE];
      const quiet = await run([...base, 'config', '-q'], env);
      expect(quiet.stderr).toBe('');
      expect(quiet.code).toBe(0);
      const services = await run([...base, 'config', '--services'], env);
      expect(services.stdout.split('\n').filter(Boolean).sort()).toEqual(['berth', 'db']);
      const volumes = await run([...base, 'config', '--volumes'], env);
      expect(volumes.stdout.split('\n').filter(Boolean)).toEqual(['db-data']);

      const resolved = (await run([...base, 'config'], env)).stdout;
      expect(resolved).toContain('postgres://berth:dbpass@db:5432/berth');
      expect(resolved).toMatch(/image: '?postgres:16'?/);
      expect(resolved).toMatch(/127\.0\.0\.1.*8080/);
      const local = await run([...base, '-f', LOCAL_POSTGRES, 'config'], env);
      expect(local.code).toBe(0);
      expect(local.stdout).toMatch(/image: '?berth\/postgres:15'?/);
      expect(local.stdout).toContain('docker/postgres');
    } finally {
      envFile.remove();
    }
  });

  it.skipIf(!compose)('has no default password: without them it refuses and names them', async () => {
    const envFile = emptyEnvFile();
    try {
      const argv = [...compose!, '--env-file', envFile.file, '-f', COMPOSE_FILE, 'config', '-q'];
      const noDb = await run(argv, composeEnv({ BERTH_ADMIN_PASSWORD: 'x' }));
      expect(noDb.code).not.toBe(0);
      expect(noDb.stderr).toContain('BERTH_DB_PASSWORD');
      const noAdmin = await run(argv, composeEnv({ BERTH_DB_PASSWORD: 'x' }));
      expect(noAdmin.code).not.toBe(0);
      expect(noAdmin.stderr).toContain('BERTH_ADMIN_PASSWORD');
    } finally {
      envFile.remove();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const bringUpSkip = (() => {
  if (!succeeds('docker', ['version', '--format', '{{.Server.Version}}'])) return 'no Docker Engine answers';
  if (!COMPOSE_V1 && !COMPOSE_V2) return NO_COMPOSE_WHY;
  if (!imageExists(BERTH_IMAGE))
    return `${BERTH_IMAGE} is not built (docker/berth/Dockerfile; \`node scripts/setup.mjs --for-tests\` builds it)`;
  if (!imageExists(POSTGRES_IMAGE))
    return `${POSTGRES_IMAGE} is not built (docker/postgres; \`node scripts/setup.mjs --for-tests\` builds it)`;
  return null;
})();
if (bringUpSkip) console.warn(`skipping the compose bring-up test: ${bringUpSkip}`);

describe.skipIf(Boolean(bringUpSkip))('the compose stack, brought up', () => {
  it('runs berth on PostgreSQL with both health checks green, answers /health, the dashboard and a login, and goes away whole', async () => {
    const compose = (COMPOSE_V2 ?? COMPOSE_V1)!;
    const project = `berthct${randomBytes(4).toString('hex')}`;
    // The state directory is mounted at its own path: a real one (macOS's /tmp is a symlink).
    const stateDir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-compose-state-')));
    const envFile = emptyEnvFile();
    const port = await freePort();
    const secrets = {
      BERTH_DB_PASSWORD: randomBytes(12).toString('hex'),
      BERTH_ADMIN_PASSWORD: randomBytes(12).toString('hex'),
    };
    const env = composeEnv({
      ...secrets,
      BERTH_ADMIN_USERNAME: 'boss',
      BERTH_STATE_DIR: stateDir,
      BERTH_PUBLISH_PORT: String(port),
    });
    const base = [
      ...compose,
      '--env-file',
      envFile.file,
      '-p',
      project,
      '-f',
      COMPOSE_FILE,
      '-f',
      LOCAL_POSTGRES,
    ];
    const dc = (args: string[], timeoutMs?: number) => run([...base, ...args], env, timeoutMs);
    const containerOf = async (service: string) => (await dc(['ps', '-q', service])).stdout.trim();
    const health = (id: string) =>
      spawnSync('docker', ['inspect', '-f', '{{.State.Health.Status}}', id], {
        encoding: 'utf8',
      }).stdout.trim();

    try {
      // Both images exist: nothing is built or pulled.
      const up = await dc(['up', '-d', '--no-build'], 180_000);
      if (up.code !== 0) throw new Error(`compose up failed:\n${up.stderr}\n${(await dc(['logs'])).stdout}`);

      const ids = { db: await containerOf('db'), berth: await containerOf('berth') };
      expect(ids.db).not.toBe('');
      expect(ids.berth).not.toBe('');
      const deadline = Date.now() + 120_000;
      while (health(ids.db) !== 'healthy' || health(ids.berth) !== 'healthy') {
        if (Date.now() > deadline || [health(ids.db), health(ids.berth)].includes('unhealthy')) {
          throw new Error(
            `health: db ${health(ids.db)}, berth ${health(ids.berth)}\n${(await dc(['logs'])).stdout}`,
          );
        }
        await new Promise((r) => setTimeout(r, 1000));
      }

      // From the host, on the published loopback port.
      const url = `http://127.0.0.1:${port}`;
      const res = await fetch(`${url}/health`);
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ status: 'ok', engine: true, store: true });
      // The dashboard is served at / (its static files load without credentials).
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(await page.text()).toContain('<div id="root">');

      // The first admin from BERTH_ADMIN_*; a wrong password is refused.
      const anonymous = new BerthClient({ url });
      await expect(anonymous.login('boss', 'not-the-password')).rejects.toThrow();
      const login = await anonymous.login('boss', secrets.BERTH_ADMIN_PASSWORD);
      expect(login.user).toMatchObject({ username: 'boss', role: 'admin' });
      const { token } = await anonymous.createToken('compose-test', { as: login });
      const client = new BerthClient({ url, token });
      const daemon = await client.daemonInfo();
      expect(daemon.home).toBe(stateDir);
      expect(daemon.tcp).toBe('http://0.0.0.0:8080');
      expect(await client.listSessions()).toEqual([]);

      // The store is the compose PostgreSQL: the admin and the token just made are rows there,
      // and no SQLite file was made in the state directory.
      const sql =
        "select u.username || ':' || u.role from users u join tokens t on t.user_id = u.id where t.name = 'compose-test'";
      const psql = await dc([
        'exec',
        '-T',
        'db',
        'psql',
        '-X',
        '-A',
        '-t',
        '-U',
        'berth',
        '-d',
        'berth',
        '-c',
        sql,
      ]);
      expect(psql.stderr).toBe('');
      expect(psql.stdout.trim()).toBe('boss:admin');
      expect(existsSync(join(stateDir, 'berth.db'))).toBe(false);
    } finally {
      const down = await dc(['down', '-v', '--remove-orphans', '-t', '10'], 120_000);
      envFile.remove();
      rmSync(stateDir, { recursive: true, force: true });
      // Nothing of the project is left: containers, its network, the database volume.
      const left = [
        ['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`],
        ['network', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`],
        ['volume', 'ls', '-q', '--filter', `label=com.docker.compose.project=${project}`],
      ].map((args) => spawnSync('docker', args, { encoding: 'utf8' }).stdout.trim());
      expect(down.code, down.stderr).toBe(0);
      expect(left).toEqual(['', '', '']);
    }
  }, 400_000);
});
