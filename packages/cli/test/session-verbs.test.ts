import {
  ApiError,
  SESSION_STATUSES,
  SESSION_VERBS,
  type SessionStatusName,
  type SessionVerb,
  VERB_TARGET,
  verbEffect,
} from '@berth/api';
import { BerthClient } from '@berth/api/node';
import { docker, makeRepo, SESSION_IMAGE } from '@berth/testkit';
import { type Berth, berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

// A session is 'creating' only while its create holds the session's lock, and every verb waits
// for that lock: what a verb does from 'creating' is checked on the table by core's unit test.
const WALKED = SESSION_STATUSES.filter((s) => s !== 'creating');

type Outcome = { ok: true } | { ok: false; exit: number; status: number };

interface Channel {
  name: 'api' | 'cli';
  run(verb: SessionVerb, session: string): Promise<Outcome>;
}

function channels(cli: Berth): Channel[] {
  const api = apiOf(cli);
  return [
    {
      name: 'api',
      async run(verb, name) {
        try {
          if (verb === 'finish') await api.finish(name, 'walked');
          else if (verb === 'remove') await api.remove(name);
          else await api.act(name, verb);
          return { ok: true };
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          return { ok: false, exit: -1, status: err.status };
        }
      },
    },
    {
      name: 'cli',
      async run(verb, name) {
        const args =
          verb === 'finish' ? ['finish', name, '-m', 'walked'] : [verb === 'remove' ? 'rm' : verb, name];
        const r = await cli.run(...args);
        return r.code === 0 ? { ok: true } : { ok: false, exit: r.code, status: -1 };
      },
    },
  ];
}

/** Setting up and reading back go through the API (fast); the verb under test uses its channel. */
function apiOf(cli: Berth): BerthClient {
  return new BerthClient({ socketPath: `${cli.home}/berth.sock` });
}

async function statusOf(cli: Berth, name: string): Promise<SessionStatusName | 'gone'> {
  try {
    return (await apiOf(cli).getSession(name)).status;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return 'gone';
    throw err;
  }
}

let seq = 0;
/** A new session brought into `status` the way a user would get it there. */
async function sessionIn(cli: Berth, repo: string, status: SessionStatusName): Promise<string> {
  const api = apiOf(cli);
  const name = `v${++seq}-${status}`;
  const made = await api.createSession({ name, repo });
  if (status === 'paused') await api.act(name, 'pause');
  if (status === 'stopped') await api.act(name, 'stop');
  if (status === 'cancelled') await api.act(name, 'cancel');
  if (status === 'finished') await api.finish(name, 'to finished');
  if (status === 'failed') {
    // The container removed behind berth's back: the reconciler marks the session failed.
    await docker.getContainer(made.containerId!).remove({ force: true });
    await expect.poll(() => statusOf(cli, name), { timeout: 15_000, interval: 200 }).toBe('failed');
  }
  expect(await statusOf(cli, name)).toBe(status);
  return name;
}

describe('every lifecycle verb against every status answers as the verb table says', () => {
  it('through the API and through the CLI', { timeout: 600_000 }, async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE, BERTH_MAX_RUNNING: '100' });
    expect((await cli.run('ls')).code).toBe(0); // the daemon is up
    const mismatches: string[] = [];
    // Each status is walked on its own sessions, so the walks run side by side.
    const walk = async (status: SessionStatusName) => {
      const repo = makeRepo();
      // One session per status takes every verb that must leave it as it is.
      const still = await sessionIn(cli, repo, status);
      for (const channel of channels(cli)) {
        for (const verb of SESSION_VERBS) {
          const effect = verbEffect(verb, status);
          const name = effect === 'act' ? await sessionIn(cli, repo, status) : still;
          const out = await channel.run(verb, name);
          const after = await statusOf(cli, name);
          const where = `${channel.name} ${verb} from ${status}`;
          if (effect === 'act') {
            if (!out.ok) mismatches.push(`${where}: refused (${JSON.stringify(out)})`);
            if (after !== VERB_TARGET[verb])
              mismatches.push(`${where}: left it ${after}, not ${VERB_TARGET[verb]}`);
          } else if (effect === 'noop') {
            if (!out.ok) mismatches.push(`${where}: refused a no-op (${JSON.stringify(out)})`);
            if (after !== status) mismatches.push(`${where}: moved it to ${after}`);
          } else {
            // Refused, or (remove of live work) refused without --force: wrong state, nothing moves.
            const wrongState =
              channel.name === 'api'
                ? out.ok === false && out.status === 409
                : out.ok === false && out.exit === 4;
            if (!wrongState) mismatches.push(`${where}: ${JSON.stringify(out)}, not wrong-state`);
            if (after !== status) mismatches.push(`${where}: moved it to ${after}`);
          }
        }
      }
    };
    await Promise.all(WALKED.map(walk));
    expect(mismatches.sort()).toEqual([]);
  });

  it('start of a paused session is wrong-state (exit 4) naming `berth resume`, and the engine is not asked', async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE });
    expect((await cli.run('ls')).code).toBe(0);
    const name = await sessionIn(cli, makeRepo(), 'paused');
    const r = await cli.run('start', name);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`cannot start session '${name}': it is paused`);
    expect(r.stderr).toContain(`berth resume ${name}`);
    expect(r.stderr).not.toMatch(/unpause|engine/i);
    expect(await statusOf(cli, name)).toBe('paused');
    expect((await cli.run('resume', name)).code).toBe(0);
    expect(await statusOf(cli, name)).toBe('running');
  });

  it('rm --force removes a live session that plain rm refuses', async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE });
    expect((await cli.run('ls')).code).toBe(0);
    const name = await sessionIn(cli, makeRepo(), 'running');
    expect((await cli.run('rm', name)).code).toBe(4);
    expect((await cli.run('rm', name, '--force')).code).toBe(0);
    expect(await statusOf(cli, name)).toBe('gone');
  });
});
