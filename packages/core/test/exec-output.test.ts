import { makeRepo, testCore } from '@berth/testkit';
import { describe, expect, it } from 'vitest';
import { EXEC_OUTPUT_LIMIT } from '../src/runtime/exec-output.js';

const MiB = 1024 * 1024;

describe('what an exec prints', () => {
  it('10 GB of it is cut at the limit, the command ended, and the daemon holds no more than the limit', async () => {
    const core = await testCore();
    await core.service.create({ name: 'loud', repo: makeRepo() });
    const before = process.memoryUsage().rss;
    const r = await core.service.exec('loud', ['sh', '-c', 'head -c 10000000000 /dev/zero | cat']);
    const grown = process.memoryUsage().rss - before;
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(EXEC_OUTPUT_LIMIT);
    expect(grown, `memory grew by ${Math.round(grown / MiB)} MiB`).toBeLessThan(EXEC_OUTPUT_LIMIT * 4);
    // Nothing of it runs on in the session, unread.
    const ps = await core.service.exec('loud', ['ps', '-o', 'args']);
    expect(ps.stdout.toString()).not.toMatch(/head -c|\bcat\b/);
  });

  // How the runtime bounds stderr on its own is the conformance suite's (conformance/).
  it('a command within the limits is whole and not marked', async () => {
    const core = await testCore();
    await core.service.create({ name: 'mixed', repo: makeRepo() });
    const quiet = await core.service.exec('mixed', ['sh', '-c', 'printf "%s" "$(seq 1 1000)"; exit 3']);
    expect(quiet).toMatchObject({ truncated: false, exitCode: 3 });
    expect(quiet.stdout.toString()).toMatch(/^1\n2\n.*\n1000$/s);
  });
});
