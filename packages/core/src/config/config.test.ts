import { describe, expect, it } from 'vitest';
import { loadConfig, parseSize } from './config.js';

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
