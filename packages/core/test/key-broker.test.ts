import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { request } from 'node:http';
import { agentCore, capture, docker, makeRepo, tempDir, testConfig } from '@berth/testkit';
import { scriptedAnthropic } from '@berth/testkit/model-api/anthropic';
import { SESSION_IMAGE, writeAndRunTurns } from '@berth/testkit/session-agents';
import { describe, expect, onTestFinished, test } from 'vitest';
import { openCore } from '../src/index.js';

// The key broker (security review, "keys never enter the sandbox"): a session's agent holds a
// placeholder and talks to berth; berth puts the real key in as it forwards. The scripted model
// API here listens on the host's loopback, which no container reaches: every request it gets
// came through the broker.

const REAL_KEY = 'sk-ant-api03-broker-0123456789-abcdefghijKLMNOPQRST';
const TURN_MS = 120_000;

type Core = Awaited<ReturnType<typeof agentCore>>;

async function brokerCore(upstream: string, agents: Record<string, unknown> = {}) {
  const core = await agentCore({ agents }, undefined, {
    modelApis: { anthropic: upstream, openai: upstream, gemini: upstream },
  });
  await core.agents.credentials.put('claude', { keys: { ANTHROPIC_API_KEY: REAL_KEY } });
  return core;
}

/** Every host pid of the container's processes (docker top answers in the host's pid namespace). */
async function hostPids(containerId: string): Promise<number[]> {
  const top = await docker.getContainer(containerId).top({ ps_args: '-o pid' });
  return top.Processes.map((p: string[]) => Number(p[0])).filter((n: number) => Number.isInteger(n));
}

/** Whether `needle` is anywhere in the readable memory of process `pid` (read from the host, as root). */
function inMemory(pid: number, needles: string[]): Set<string> {
  const found = new Set<string>();
  const wanted = needles.map((n) => Buffer.from(n));
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n');
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const chunk = Buffer.alloc(4 << 20);
  try {
    for (const line of maps) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) r/.exec(line);
      if (!m) continue;
      let at = Number.parseInt(m[1]!, 16);
      const end = Number.parseInt(m[2]!, 16);
      while (at < end) {
        const len = Math.min(chunk.length, end - at);
        let n = 0;
        try {
          n = readSync(fd, chunk, 0, len, at);
        } catch {
          break; // an unreadable mapping (a guard page, [vvar])
        }
        if (n <= 0) break;
        const view = chunk.subarray(0, n);
        for (const [i, w] of wanted.entries()) if (view.includes(w)) found.add(needles[i]!);
        // Overlap by a needle's length, so one split across two reads is still seen.
        at += n > 64 ? n - 64 : n;
      }
    }
  } finally {
    closeSync(fd);
  }
  return found;
}

function post(url: string, headers: Record<string, string>, body = '{}') {
  // The path as written: a URL object would resolve its dot segments before it is sent.
  const { hostname, port } = new URL(url);
  const path = url.slice(url.indexOf('/', url.indexOf('//') + 2));
  const options = {
    hostname,
    port,
    path,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
  };
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(options, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('the key broker', { timeout: 420_000 }, () => {
  test('the real Claude Code does its task while its container holds only a placeholder: env, files and process memory; the model API receives the real key', async () => {
    const api = await scriptedAnthropic({ turns: writeAndRunTurns('claude') });
    onTestFinished(() => api.close());
    const core = await brokerCore(api.url);
    const s = await core.service.create({
      name: 'kb',
      repo: makeRepo(),
      agent: 'claude',
      prompt: 'Create hello.txt saying hello, then record that the command ran.',
      image: SESSION_IMAGE,
    });
    const out = await core.agents.waitFor(await core.service.get('kb'), ['idle'], TURN_MS);
    if (out.reached !== 'idle') throw new Error(`not idle (${out.reached}):\n${await capture(core, 'kb')}`);
    expect((await core.service.diff('kb')).diff).toContain('+hello from the script');

    // Upstream: the real key on every request, never the placeholder.
    expect(api.requests.length).toBeGreaterThan(0);
    for (const r of api.requests) expect(r.headers['x-api-key']).toBe(REAL_KEY);
    expect(api.conversation().length).toBeGreaterThan(0);

    const id = (await core.service.get('kb')).containerId!;
    expect(s.containerId).toBe(id);
    const placeholder = (
      await core.service.exec('kb', ['cat', '/run/berth/secrets/ANTHROPIC_API_KEY'])
    ).stdout
      .toString('utf8')
      .trim();
    expect(placeholder).toMatch(/^berth-key-/);

    // The container's configuration and every process's environment.
    const inspect = await docker.getContainer(id).inspect();
    expect(JSON.stringify(inspect)).not.toContain(REAL_KEY);
    const environ = await core.service.exec('kb', [
      'sh',
      '-c',
      'cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n"',
    ]);
    const env = environ.stdout.toString('utf8');
    expect(env).toContain('ANTHROPIC_BASE_URL=');
    expect(env).not.toContain(REAL_KEY);

    // Every file the session can read where berth or the agent put anything.
    const grep = await core.service.exec('kb', [
      'sh',
      '-c',
      `grep -rl -s -F -e "$1" -e "$2" /home /run /tmp /workspace /etc /berth /root 2>/dev/null; true`,
      'sh',
      REAL_KEY,
      placeholder,
    ]);
    const hits = grep.stdout.toString('utf8').split('\n').filter(Boolean);
    // The scan sees the placeholder where berth wrote it, so it would see the key there too.
    expect(hits).toContain('/run/berth/secrets/ANTHROPIC_API_KEY');
    for (const file of hits) {
      const body = await core.service.exec('kb', ['cat', file]);
      expect(body.stdout.toString('utf8'), file).not.toContain(REAL_KEY);
    }

    // Process memory of everything in the container, the agent's own included.
    const pids = await hostPids(id);
    expect(pids.length).toBeGreaterThan(2);
    const seen = new Set<string>();
    for (const pid of pids) for (const n of inMemory(pid, [REAL_KEY, placeholder])) seen.add(n);
    expect(seen.has(placeholder)).toBe(true);
    expect(seen.has(REAL_KEY)).toBe(false);
    await core.service.cancel('kb');
  });

  test('a forged or stale placeholder, a dot-segment path, and a session env pointing elsewhere never get the key out', async () => {
    const api = await scriptedAnthropic({ turns: [{ text: 'ok' }] });
    onTestFinished(() => api.close());
    // What `--env ANTHROPIC_BASE_URL=…` of a member would try: the broker still sends to its upstream.
    const elsewhere = await scriptedAnthropic({ turns: [{ text: 'ok' }] });
    onTestFinished(() => elsewhere.close());
    const core: Core = await brokerCore(api.url);
    await core.service.create({
      name: 'kb2',
      repo: makeRepo(),
      agent: 'claude',
      image: SESSION_IMAGE,
      env: { ANTHROPIC_BASE_URL: elsewhere.url },
    });
    const placeholder = (
      await core.service.exec('kb2', ['cat', '/run/berth/secrets/ANTHROPIC_API_KEY'])
    ).stdout
      .toString('utf8')
      .trim();
    const base = core.agents.brokerUrl('anthropic');
    expect(base).toMatch(/^http:\/\//);

    // The placeholder itself works: it is the real key upstream.
    const ok = await post(`${base}/v1/messages/count_tokens`, { 'x-api-key': placeholder });
    expect(ok.status, ok.body).toBeLessThan(500);
    expect(api.requests.at(-1)?.headers['x-api-key']).toBe(REAL_KEY);
    const used = api.requests.length;

    // Another session's id with a made-up MAC; a bare real-looking key; a path climbing out.
    const sessionId = placeholder.slice('berth-key-'.length, 'berth-key-'.length + 36);
    const forged = `berth-key-${sessionId.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'))}-${'0'.repeat(40)}`;
    const attempts: Array<Record<string, string>> = [
      { 'x-api-key': forged },
      { authorization: `Bearer ${forged}` },
      { 'x-api-key': 'sk-ant-x' },
    ];
    for (const headers of attempts) {
      const r = await post(`${base}/v1/messages`, headers);
      expect(r.status).toBe(401);
    }
    expect((await post(`${base}/v1/../../admin`, { 'x-api-key': placeholder })).status).toBe(400);
    expect((await post(`${base}/v1/%2e%2e/admin`, { 'x-api-key': placeholder })).status).toBe(400);
    expect(api.requests.length).toBe(used);
    expect(elsewhere.requests).toHaveLength(0);

    // Once the session is gone its placeholder is worth nothing.
    await core.service.remove('kb2', { force: true });
    expect((await post(`${base}/v1/messages`, { 'x-api-key': placeholder })).status).toBe(401);
    expect(api.requests.length).toBe(used);
  });

  test("each session's placeholder spends its owner's key: never the host's for a user, nor another user's (security review F12)", async () => {
    const api = await scriptedAnthropic({ turns: [{ text: 'ok' }] });
    onTestFinished(() => api.close());
    const core: Core = await brokerCore(api.url);
    const userKey = 'sk-ant-api03-user-0123456789-abcdefghijKLMNOPQRST';
    await core.agents.credentials.put(
      'claude',
      { keys: { ANTHROPIC_API_KEY: userKey } },
      { kind: 'user', id: 'user-1' },
    );
    const repo = makeRepo();
    await core.service.create({ name: 'kb-host', repo, agent: 'claude', image: SESSION_IMAGE });
    await core.service.create({
      name: 'kb-user',
      repo,
      agent: 'claude',
      image: SESSION_IMAGE,
      ownerId: 'user-1',
    });
    // Another user with none of their own: refused, the host's and user-1's keys notwithstanding.
    await expect(
      core.service.create({
        name: 'kb-other',
        repo,
        agent: 'claude',
        image: SESSION_IMAGE,
        ownerId: 'user-2',
      }),
    ).rejects.toThrow(/no credentials set up/);
    const base = core.agents.brokerUrl('anthropic');
    for (const [name, key] of [
      ['kb-user', userKey],
      ['kb-host', REAL_KEY],
    ] as const) {
      const placeholder = (
        await core.service.exec(name, ['cat', '/run/berth/secrets/ANTHROPIC_API_KEY'])
      ).stdout
        .toString('utf8')
        .trim();
      expect(placeholder).toMatch(/^berth-key-/);
      const r = await post(`${base}/v1/messages/count_tokens`, { 'x-api-key': placeholder });
      expect(r.status, r.body).toBeLessThan(500);
      expect(api.requests.at(-1)?.headers['x-api-key'], name).toBe(key);
    }
  });
});

describe('the key broker reads a session and its key once, and sees a change at once', {
  timeout: 420_000,
}, () => {
  test('a burst of requests reads the session row and the key once; a changed key, a removed key and a removed session are seen by the very next request', async () => {
    const api = await scriptedAnthropic({ turns: [{ text: 'ok' }] });
    onTestFinished(() => api.close());
    const core: Core = await brokerCore(api.url);
    const session = await core.service.create({
      name: 'kb-cache',
      repo: makeRepo(),
      agent: 'claude',
      image: SESSION_IMAGE,
    });
    // Another one, whose end is only an event (the reconciler's, when its container vanishes).
    await core.service.create({ name: 'kb-fail', repo: makeRepo(), agent: 'claude', image: SESSION_IMAGE });
    const placeholderOf = async (name: string) =>
      (await core.service.exec(name, ['cat', '/run/berth/secrets/ANTHROPIC_API_KEY'])).stdout
        .toString('utf8')
        .trim();
    const placeholder = await placeholderOf('kb-cache');
    expect(placeholder).toMatch(/^berth-key-/);
    const url = `${core.agents.brokerUrl('anthropic')}/v1/messages/count_tokens`;
    const turn = (key = placeholder) => post(url, { 'x-api-key': key });

    // What else touches the session (the agent starting up, its status) is over before counting.
    let events = 0;
    onTestFinished(
      core.events.subscribe((e) => {
        if ((e.type === 'session.deleted' ? e.id : e.session.id) === session.id) events++;
      }),
    );
    let seen = -1;
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((r) => setTimeout(r, 500));
      const now = events + api.requests.length;
      quiet = now === seen ? quiet + 1 : 0;
      seen = now;
    }

    // The real store, wrapped: every read of this session's row and of the host's Claude key.
    const reads = { session: 0, key: 0 };
    const store = core.store;
    const get = store.get.bind(store);
    store.get = (id) => {
      if (id === session.id) reads.session++;
      return get(id);
    };
    const getSecret = store.getSecret.bind(store);
    store.getSecret = (scope, name) => {
      if (scope === 'agent:claude' && name === 'key:ANTHROPIC_API_KEY') reads.key++;
      return getSecret(scope, name);
    };
    const before = events;
    const used = api.requests.length;
    for (let i = 0; i < 20; i++) {
      const r = await turn();
      expect(r.status, r.body).toBe(200);
    }
    const together = await Promise.all(Array.from({ length: 10 }, () => turn()));
    for (const r of together) expect(r.status, r.body).toBe(200);
    expect(api.requests.length).toBe(used + 30);
    for (const r of api.requests.slice(used)) expect(r.headers['x-api-key']).toBe(REAL_KEY);
    expect(events, 'nothing else changed the session meanwhile').toBe(before);
    expect(reads).toEqual({ session: 1, key: 1 });

    // `berth auth setup` with a new key: the very next request carries it, read once more.
    const newKey = 'sk-ant-api03-rotated-0123456789-abcdefghijKLMNOPQRST';
    await core.agents.credentials.put('claude', { keys: { ANTHROPIC_API_KEY: newKey } });
    for (let i = 0; i < 5; i++) {
      expect((await turn()).status).toBe(200);
      expect(api.requests.at(-1)?.headers['x-api-key']).toBe(newKey);
    }
    expect(reads).toEqual({ session: 2, key: 2 });

    // `berth auth remove`: the very next request is refused, nothing goes upstream.
    await core.agents.credentials.delete('claude', 'ANTHROPIC_API_KEY');
    const sent = api.requests.length;
    expect((await turn()).status).toBe(401);
    expect((await turn()).status).toBe(401);
    expect(api.requests.length).toBe(sent);

    // A refusal is not kept: the key set up again works again, at once.
    await core.agents.credentials.put('claude', { keys: { ANTHROPIC_API_KEY: REAL_KEY } });
    expect((await turn()).status).toBe(200);
    expect(api.requests.at(-1)?.headers['x-api-key']).toBe(REAL_KEY);

    // The session removed while its entry is warm: the very next request is refused.
    expect((await turn()).status).toBe(200);
    const last = api.requests.length;
    await core.service.remove('kb-cache', { force: true });
    expect((await turn()).status).toBe(401);
    expect(api.requests.length).toBe(last);

    // A session failed (as the reconciler fails one whose container vanished), its credentials
    // still on the host: the status event alone makes the very next request refused.
    const failing = await placeholderOf('kb-fail');
    expect((await turn(failing)).status).toBe(200);
    await core.ledger.transition(await core.service.get('kb-fail'), 'failed', 'gone', 'fail');
    expect((await turn(failing)).status).toBe(401);
    expect(api.requests.length).toBe(last + 1);
  });
});

describe('the key broker after the daemon starts again', { timeout: 420_000 }, () => {
  // A session made before the restart keeps its placeholder and base URL; the new daemon must be
  // where they point: the relay of a filtered session (berth's default), the kept port of an
  // unfiltered one. A request from inside with the placeholder gets the real key upstream.
  test.each([
    ['filtered', 'allowlist' as const],
    ['unfiltered', 'off' as const],
  ])('a %s session’s agent reaches it', async (_what, egressMode) => {
    const api = await scriptedAnthropic({ turns: [{ text: 'Done.' }] });
    onTestFinished(() => api.close());
    const config = testConfig({
      egressMode,
      modelApis: { anthropic: api.url, openai: api.url, gemini: api.url },
    });
    const credentialsRoot = tempDir('berth-creds-', '/dev/shm');
    let core = await openCore(config, undefined, { credentialsRoot });
    try {
      await core.agents.credentials.put('claude', { keys: { ANTHROPIC_API_KEY: REAL_KEY } });
      const s = await core.service.create({
        name: 'kept',
        repo: makeRepo(),
        agent: 'claude',
        prompt: 'Say done.',
        image: SESSION_IMAGE,
      });
      const out = await core.agents.waitFor(s, ['idle'], TURN_MS);
      if (out.reached !== 'idle')
        throw new Error(`not idle (${out.reached}):\n${await capture(core, 'kept')}`);
      await core.close();
      core = await openCore(config, undefined, { credentialsRoot });
      await core.startWatching();
      const before = api.requests.length;
      const r = await core.service.exec('kept', [
        'sh',
        '-c',
        'url=$(cat /proc/[0-9]*/environ 2>/dev/null | tr "\\0" "\\n" | sed -n "s/^ANTHROPIC_BASE_URL=//p" | head -1); ' +
          'curl -s -o /dev/null -w "%{http_code}" --noproxy "*" -X POST "$url/v1/messages" ' +
          '-H "x-api-key: $(cat /run/berth/secrets/ANTHROPIC_API_KEY)" -H "content-type: application/json" -d "{}"',
      ]);
      expect(r.stdout.toString(), r.stderr.toString()).toMatch(/^[2-5]\d\d$/);
      expect(api.requests.length).toBeGreaterThan(before);
      expect(api.requests.at(-1)!.headers['x-api-key']).toBe(REAL_KEY);
      await core.service.cancel('kept');
    } finally {
      await core.close();
    }
  });
});
