import { makeRepo, SESSION_IMAGE } from '@berth/testkit';
import { berthCli } from '@berth/testkit/cli';
import { describe, expect, it } from 'vitest';

// OSC 52 writes the reader's clipboard; OSC 0 retitles their terminal.
const ESCAPES = '\x1b]52;c;aGVsbG8=\x07\x1b]0;title\x07';
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for the bytes a terminal acts on
const CONTROL = /[\x1b\x07]/;

describe('the CLI prints no terminal escapes from what the server says (security review F18)', () => {
  it("a snapshot's failure carrying escapes from the container's stderr, and an error's detail, print inert", async () => {
    const cli = berthCli({ BERTH_IMAGE: SESSION_IMAGE });
    const repo = makeRepo();
    expect((await cli.run('new', 'esc', '--repo', repo)).code).toBe(0);
    // What runs in the session owns its git: a clean filter that writes escapes to stderr,
    // then kills the git that ran it, so they are the last line the snapshot leaves.
    const filter = `printf '${ESCAPES.split('\x1b').join('\\033').split('\x07').join('\\007')}' >&2; kill -9 $PPID`;
    const rig = await cli.run(
      'exec',
      'esc',
      '--',
      'sh',
      '-c',
      `git config filter.x.clean "${filter}" && echo '* filter=x' > .gitattributes && echo more >> README.md`,
    );
    expect(rig.code).toBe(0);
    const finish = await cli.run('finish', 'esc', '-m', 'done');
    expect(finish.code).not.toBe(0);
    expect(finish.stderr).toContain("could not collect the session's work");
    expect(finish.stderr).toContain(']52;c;aGVsbG8=');
    expect(finish.stderr).not.toMatch(CONTROL);
    // The server's own problem carries none either (JSON would pass them on, escaped, to any client).
    const asJson = await cli.run('finish', 'esc', '-m', 'done', '--json');
    expect(JSON.parse(asJson.stdout).error.message).toContain(']0;title');
    expect(JSON.parse(asJson.stdout).error.message).not.toMatch(CONTROL);

    const show = await cli.run('show', `nope${ESCAPES}`);
    expect(show.code).toBe(3);
    expect(show.stderr).toContain('no session named');
    expect(show.stderr).not.toMatch(CONTROL);
  });
});
