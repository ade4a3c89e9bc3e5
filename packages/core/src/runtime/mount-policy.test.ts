import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { assertSafeMounts } from './mount-policy.js';

const home = '/srv/berth';
const check = (source: string) =>
  assertSafeMounts([{ source, target: '/x', readOnly: false }], {
    berthHome: home,
    allowedInHome: [`${home}/workspaces/s1`],
  });

describe('mount policy', () => {
  it.each([
    '/',
    '/etc',
    '/etc/ssh',
    '/proc',
    '/sys/fs',
    '/var/run/docker.sock',
    '/run/user/1000/docker.sock',
    '/var/lib/docker/volumes',
    homedir(),
    home,
    `${home}/berth.db`,
    `${home}/workspaces/s2`,
    '/srv',
    'relative/path',
  ])('refuses %s', (source) => {
    expect(() => check(source)).toThrow(/refusing|not an absolute/);
  });

  it("allows the session's own working copy and a repository's objects", () => {
    expect(() => check(`${home}/workspaces/s1`)).not.toThrow();
    expect(() => check('/home/dev/src/app/.git/objects')).not.toThrow();
  });

  it('allows the one CA bundle file the daemon chose, read-only only, and nothing else under /etc', () => {
    const bundle = '/etc/ssl/certs/ca-certificates.crt';
    const opts = { berthHome: home, allowedInHome: [], allowedFiles: [bundle] };
    const mount = (source: string, readOnly: boolean) => [{ source, target: '/etc/berth/ca.crt', readOnly }];
    expect(() => assertSafeMounts(mount(bundle, true), opts)).not.toThrow();
    expect(() => assertSafeMounts(mount(bundle, false), opts)).toThrow(/refusing/);
    expect(() => assertSafeMounts(mount('/etc/ssl/certs', true), opts)).toThrow(/refusing/);
    expect(() => assertSafeMounts(mount('/etc/shadow', true), opts)).toThrow(/refusing/);
  });
});

describe('mount policy: state volumes and credentials', () => {
  const secret = '/dev/shm/berth-abc/11111111-1111-4111-8111-111111111111/keys';
  const opts = { berthHome: home, allowedInHome: [], secretDirs: [secret] };

  it("allows berth's own state volume and nothing else by name", () => {
    const vol = (source: string) => [
      { type: 'volume' as const, source, target: '/home/berth', readOnly: false },
    ];
    expect(() =>
      assertSafeMounts(vol('berth-state-11111111-1111-4111-8111-111111111111'), opts),
    ).not.toThrow();
    for (const name of ['other-volume', 'berth-state-x', '/var/lib/docker/volumes/v']) {
      expect(() => assertSafeMounts(vol(name), opts)).toThrow(/only berth's session state volumes/);
    }
  });

  it("allows berth's agents volume read-only only", () => {
    const agents = (readOnly: boolean) => [
      { type: 'volume' as const, source: 'berth-agents-0123456789ab', target: '/opt/berth/agents', readOnly },
    ];
    expect(() => assertSafeMounts(agents(true), opts)).not.toThrow();
    expect(() => assertSafeMounts(agents(false), opts)).toThrow(/only ever mounted read-only/);
  });

  it('allows exactly the session’s credential directories, read-only', () => {
    expect(() =>
      assertSafeMounts([{ source: secret, target: '/run/berth/secrets', readOnly: true }], opts),
    ).not.toThrow();
    expect(() => assertSafeMounts([{ source: secret, target: '/x', readOnly: false }], opts)).toThrow(
      /read-only/,
    );
    for (const source of ['/dev/shm/berth-abc', '/dev/sda', '/run/user/1000', '/var/run/secrets']) {
      expect(() => assertSafeMounts([{ source, target: '/x', readOnly: true }], opts), source).toThrow(
        /refusing/,
      );
    }
  });
});

describe('mount policy: BERTH_HOME through a symlink (security review F3)', () => {
  /** A real berth home with a database and a working copy, and a symlink BERTH_HOME to it. */
  function symlinkedHome() {
    const dir = mkdtempSync(join(tmpdir(), 'berth-mount-policy-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const real = join(realpathSync(dir), 'real');
    mkdirSync(join(real, 'workspaces', 's1'), { recursive: true });
    mkdirSync(join(real, 'workspaces', 's2'), { recursive: true });
    writeFileSync(join(real, 'berth.db'), '');
    const link = join(dir, 'link');
    symlinkSync(real, link);
    const elsewhere = join(dir, 'elsewhere');
    symlinkSync(join(real, 'workspaces', 's2'), elsewhere);
    return { real, link, elsewhere };
  }

  it("refuses berth's own data under either spelling of the home, and through a symlink elsewhere", () => {
    const { real, link, elsewhere } = symlinkedHome();
    for (const berthHome of [link, real]) {
      const opts = { berthHome, allowedInHome: [join(link, 'workspaces', 's1')] };
      const mount = (source: string) => [{ source, target: '/x', readOnly: false }];
      for (const source of [
        join(real, 'berth.db'),
        join(link, 'berth.db'),
        join(real, 'workspaces', 's2'),
        elsewhere,
        real,
        link,
      ]) {
        expect(() => assertSafeMounts(mount(source), opts), `${berthHome}: ${source}`).toThrow(/refusing/);
      }
      // The session's own working copy stays allowed, however it is spelt.
      for (const source of [join(real, 'workspaces', 's1'), join(link, 'workspaces', 's1')]) {
        expect(() => assertSafeMounts(mount(source), opts), source).not.toThrow();
      }
    }
  });
});
