import { Writable } from 'node:stream';
import { openCore } from '@berth/core';
import {
  git,
  makeBareRemote,
  SESSION_IMAGE,
  sshdForSuite,
  sshdMissing,
  sshKeyPair,
  type TestSshd,
  tempDir,
  testConfig,
} from '@berth/testkit';
import { makeToken, makeUser } from '@berth/testkit/server';
import pino from 'pino';
import { beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { buildServer } from '../src/index.js';

const sshSkip = sshdMissing();
if (sshSkip) console.warn(`skipping the remote API test: ${sshSkip}`);

describe.skipIf(Boolean(sshSkip))('remote sessions over the API: the SSH key never comes back out', () => {
  const suiteSshd = sshdForSuite();
  let sshd: TestSshd;
  beforeEach(() => {
    sshd = suiteSshd();
  });

  it('create, read, list, events, audit, finish --push and the logs at trace level: no key material', async () => {
    let logged = '';
    const sink = new Writable({
      write(chunk, _enc, done) {
        logged += String(chunk);
        done();
      },
    });
    // The daemon's logger minus its redaction: the key must never reach a logger in the first place.
    const logger = pino({ level: 'trace' }, sink);
    const core = await openCore(testConfig({ defaultImage: SESSION_IMAGE }), logger);
    onTestFinished(() => core.close());
    const events: string[] = [];
    onTestFinished(core.events.subscribe((e) => events.push(JSON.stringify(e))));
    const app = await buildServer({
      core,
      logger,
      daemon: () => ({
        pid: 1,
        version: 'test',
        socket: '',
        home: core.config.home,
        startedAt: '',
        tcp: null,
      }),
    });
    onTestFinished(() => app.close());
    const admin = await makeUser(core, 'admin', 'admin');
    const { token } = await makeToken(core, admin.id);
    const headers = { authorization: `Bearer ${token}` };
    const bare = makeBareRemote({ 'README.md': '# api\n' });
    const url = sshd.url(bare);
    const key = sshd.clientKey;
    // Any 40 characters from the middle of the key's body would give it away.
    const needles = [key.slice(40, 80), key.slice(120, 160), key.split('\n')[2]!];
    const bodies: string[] = [];
    const call = async (method: 'GET' | 'POST', path: string, payload?: unknown) => {
      const r = await app.inject({
        method,
        url: `/api/v1${path}`,
        headers: { ...headers, ...(path === '/sessions' ? { accept: 'application/x-ndjson' } : {}) },
        ...(payload ? { payload: payload as object } : {}),
      });
      bodies.push(r.body);
      return r;
    };

    // Refusals first: a public key, then a key the server will not accept (the clone fails).
    const pub = await call('POST', '/sessions', { name: 'p', repo: url, sshKey: sshd.clientPub });
    expect(pub.body).toContain('public key');
    const wrong = await call('POST', '/sessions', {
      name: 'w',
      repo: url,
      sshKey: sshKeyPair(tempDir('berth-keys-')).priv,
    });
    expect(wrong.body).toContain('could not clone');

    const made = await call('POST', '/sessions', {
      name: 'apisess',
      repo: url,
      sshKey: key,
      gitUser: { name: 'Grace Hopper', email: 'grace@example.com' },
    });
    expect(made.statusCode).toBe(200);
    expect(made.body).toContain('"hasSshKey":true');
    expect(made.body).toContain(`cloning ${url}`);
    const one = await call('GET', '/sessions/apisess');
    expect(one.json()).toMatchObject({ remote: url, hasSshKey: true, gitUser: { name: 'Grace Hopper' } });
    expect(one.json()).not.toHaveProperty('sshKey');
    await call('GET', '/sessions');
    const ex = await call('POST', '/sessions/apisess/exec', { cmd: ['sh', '-c', 'echo api > api.txt'] });
    expect(ex.json()).toMatchObject({ exitCode: 0 });
    const fin = await call('POST', '/sessions/apisess/finish', { message: 'From the API', push: true });
    expect(fin.statusCode).toBe(200);
    expect(git(bare, 'log', '-1', '--format=%an', 'berth/apisess')).toBe('Grace Hopper');
    const audit = await call('GET', '/audit');
    expect(audit.statusCode).toBe(200);

    const everything = [...bodies, ...events, logged].join('\n');
    expect(logged.length).toBeGreaterThan(0);
    for (const n of needles) expect(everything).not.toContain(n);
  });
});
