import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Client } from 'pg';
import { onTestFinished } from 'vitest';

/** Written by `scripts/setup.mjs --for-tests`; BERTH_TEST_DATABASE_URL wins over it. */
const URL_FILE = fileURLToPath(
  new URL('../../../node_modules/.cache/berth/test-database-url', import.meta.url),
);

const HOW =
  'run `node scripts/setup.mjs --for-tests` (as root on Debian it installs and starts PostgreSQL), or set ' +
  'BERTH_TEST_DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/DATABASE for a role that may create databases';

/** The database the tests connect to in order to create (and drop) one database per test. */
export function adminDatabaseUrl(): string {
  const fromEnv = process.env.BERTH_TEST_DATABASE_URL;
  if (fromEnv) return fromEnv;
  let url = '';
  try {
    url = readFileSync(URL_FILE, 'utf8').trim();
  } catch {}
  if (!url) throw new Error(`no PostgreSQL for the tests: ${HOW}`);
  return url;
}

async function admin<T>(work: (c: Client) => Promise<T>): Promise<T> {
  const url = adminDatabaseUrl();
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
  } catch (err) {
    const where = url.replace(/:[^:@/]*@/, ':***@');
    throw new Error(`the tests' PostgreSQL at ${where} does not answer (${(err as Error).message}): ${HOW}`, {
      cause: err,
    });
  }
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * A new, empty database for one test, so test files running side by side never meet; dropped
 * when the test finishes. The name carries its birth time: setup drops what a killed run left.
 */
export async function testDatabaseUrl(): Promise<string> {
  const name = `berth_t_${Math.floor(Date.now() / 1000)}_${randomBytes(4).toString('hex')}`;
  await admin((c) => c.query(`create database "${name}"`));
  onTestFinished(async () => {
    // Cleanup must not fail a test: a connection still closing can hold the database a moment
    // longer; what is left behind, setup drops on its next run (names carry their birth time).
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await admin((c) => c.query(`drop database if exists "${name}" with (force)`));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  });
  const url = new URL(adminDatabaseUrl());
  url.pathname = `/${name}`;
  return url.toString();
}
