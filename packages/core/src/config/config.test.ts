import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { canonicalConfig, loadConfig, parseSize } from './config.js';

describe('configuration', () => {
  it('reads sizes with units', () => {
    expect(parseSize('512m')).toBe(512 * 1024 ** 2);
    expect(parseSize('2g')).toBe(2 * 1024 ** 3);
    expect(parseSize('1.5GiB')).toBe(1.5 * 1024 ** 3);
    expect(() => parseSize('lots')).toThrow(/not a size/);
    expect(() => parseSize('1k')).toThrow(/minimum/);
  });

  it('puts every path under BERTH_HOME and takes limits from the environment', () => {
    const c = loadConfig({ BERTH_HOME: '/srv/b', BERTH_MAX_RUNNING: '7', BERTH_IMAGE: 'img:1' });
    expect(c).toMatchObject({
      home: '/srv/b',
      socketPath: '/srv/b/berth.sock',
      databaseFile: '/srv/b/berth.db',
      workspacesDir: '/srv/b/workspaces',
      maxRunningSessions: 7,
      defaultImage: 'img:1',
    });
  });

  it('rejects a bad value with the variable named', () => {
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_MAX_RUNNING: 'five' })).toThrow(
      /BERTH_MAX_RUNNING=five/,
    );
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_PORT: '70000' })).toThrow(/BERTH_PORT/);
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_PORT_RANGE: '9000-5000' })).toThrow(/BERTH_PORT_RANGE/);
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_PORT_RANGE: '80-90' })).toThrow(
      /BERTH_PORT_RANGE=80-90/,
    );
    expect(loadConfig({ BERTH_HOME: '/x' }).portRange).toEqual({ from: 5000, to: 8999 });
    expect(loadConfig({ BERTH_HOME: '/x', BERTH_PORT_RANGE: '6000 - 6010' }).portRange).toEqual({
      from: 6000,
      to: 6010,
    });
  });
});

describe('BERTH_TRUST_PROXY (security review F20)', () => {
  it('reads addresses and CIDR blocks, trusts none when unset, and names a bad entry', () => {
    expect(loadConfig({ BERTH_HOME: '/x' }).trustProxy).toEqual([]);
    expect(
      loadConfig({ BERTH_HOME: '/x', BERTH_TRUST_PROXY: ' 127.0.0.1, 10.0.0.0/8,::1 ' }).trustProxy,
    ).toEqual(['127.0.0.1', '10.0.0.0/8', '::1']);
    for (const bad of ['proxy.example', '10.0.0.0/33', '10.0.0.0/8/1', '*']) {
      expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_TRUST_PROXY: `127.0.0.1,${bad}` })).toThrow(
        expect.objectContaining({
          message: expect.stringContaining(bad),
          hint: expect.stringMatching(/BERTH_TRUST_PROXY=/),
        }),
      );
    }
  });
});

describe('the canonical configuration (security review F3)', () => {
  it('makes BERTH_HOME, resolves its symlinks, and derives every path under it from the real one', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'berth-config-')));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const real = join(dir, 'real');
    mkdirSync(real);
    symlinkSync(real, join(dir, 'link'));
    const c = await canonicalConfig(loadConfig({ BERTH_HOME: join(dir, 'link') }));
    expect(c).toMatchObject({
      home: real,
      socketPath: join(real, 'berth.sock'),
      databaseFile: join(real, 'berth.db'),
      workspacesDir: join(real, 'workspaces'),
      configFile: join(real, 'config.json'),
    });
    const fresh = await canonicalConfig(loadConfig({ BERTH_HOME: join(dir, 'new', 'home') }));
    expect(statSync(fresh.workspacesDir).isDirectory()).toBe(true);
    expect(statSync(fresh.home).mode & 0o777).toBe(0o700);
  });
});
