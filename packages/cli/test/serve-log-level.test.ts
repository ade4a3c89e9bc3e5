import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

/** The pino levels of the lines in the daemon's log. */
function levels(home: string): number[] {
  return readFileSync(join(home, 'daemon.log'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { level: number }).level);
}

describe('the daemon log level', () => {
  it('comes from BERTH_LOG_LEVEL when serve is given no --log-level (the daemon the CLI starts)', async () => {
    const quiet = berthCli({ BERTH_LOG_LEVEL: 'warn' });
    const chatty = berthCli();
    expect((await quiet.run('ls')).code).toBe(0);
    expect((await chatty.run('ls')).code).toBe(0);
    expect(levels(chatty.home)).toContain(30);
    expect(levels(quiet.home).filter((l) => l < 40)).toEqual([]);
  });
});
