import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
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
