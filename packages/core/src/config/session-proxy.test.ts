import { describe, expect, it } from 'vitest';
import { loadConfig, sessionProxyEnv } from './config.js';

const PASSWORD = 'hunter2-proxy-pw';
const withCredentials = `http://alice:${PASSWORD}@proxy.corp:3128`;

describe('a proxy with credentials is not handed to sessions silently (security review F19)', () => {
  it('hands credential-free proxy variables, both cases, and says nothing', () => {
    const env = {
      BERTH_HOME: '/x',
      HTTPS_PROXY: 'http://proxy.corp:3128',
      http_proxy: 'http://proxy.corp:3128',
      NO_PROXY: 'localhost,.corp',
    };
    const c = loadConfig(env);
    expect(c.sessionProxyEnv).toEqual({
      HTTPS_PROXY: 'http://proxy.corp:3128',
      http_proxy: 'http://proxy.corp:3128',
      NO_PROXY: 'localhost,.corp',
    });
    expect(c.startWarnings).toEqual([]);
  });

  it('withholds a proxy URL with user:password@ by default, and the daemon is told which, never the password', () => {
    for (const mode of [undefined, 'inherit', ' Inherit ']) {
      const c = loadConfig({
        BERTH_HOME: '/x',
        ...(mode !== undefined ? { BERTH_SESSION_PROXY: mode } : {}),
        HTTPS_PROXY: withCredentials,
        https_proxy: withCredentials,
        HTTP_PROXY: 'http://proxy.corp:3128',
        NO_PROXY: 'localhost',
      });
      expect(c.sessionProxyEnv).toEqual({ HTTP_PROXY: 'http://proxy.corp:3128', NO_PROXY: 'localhost' });
      expect(c.startWarnings).toHaveLength(1);
      const [warning] = c.startWarnings;
      expect(warning).toContain('HTTPS_PROXY, https_proxy');
      expect(warning).not.toContain('HTTP_PROXY,');
      expect(warning).toMatch(/BERTH_SESSION_PROXY=none/);
      expect(warning).toMatch(/BERTH_SESSION_PROXY=inherit-credentials/);
      expect(warning).not.toContain(PASSWORD);
      expect(warning).not.toContain('alice');
    }
  });

  it('finds credentials however the URL is written: no scheme, user only, socks; not an @ past the host', () => {
    const found = (value: string) => Object.keys(sessionProxyEnv({ ALL_PROXY: value })).length === 0;
    expect(found(`alice:${PASSWORD}@proxy.corp:3128`)).toBe(true);
    expect(found('socks5h://alice@proxy.corp:1080')).toBe(true);
    expect(found(`HTTP://alice:${encodeURIComponent('p@ss')}@proxy.corp`)).toBe(true);
    expect(found('http://proxy.corp:3128/a@b')).toBe(false);
    expect(found('http://proxy.corp:3128')).toBe(false);
  });

  it('BERTH_SESSION_PROXY=inherit-credentials hands them over, still saying so at start', () => {
    const c = loadConfig({
      BERTH_HOME: '/x',
      BERTH_SESSION_PROXY: 'inherit-credentials',
      HTTPS_PROXY: withCredentials,
    });
    expect(c.sessionProxyEnv).toEqual({ HTTPS_PROXY: withCredentials });
    expect(c.startWarnings).toHaveLength(1);
    expect(c.startWarnings[0]).toMatch(/HTTPS_PROXY/);
    expect(c.startWarnings[0]).toMatch(/every session/);
    expect(c.startWarnings[0]).not.toContain(PASSWORD);
  });

  it('BERTH_SESSION_PROXY=none hands nothing and has nothing to warn about; another value is refused', () => {
    const c = loadConfig({ BERTH_HOME: '/x', BERTH_SESSION_PROXY: 'none', HTTPS_PROXY: withCredentials });
    expect(c.sessionProxyEnv).toEqual({});
    expect(c.startWarnings).toEqual([]);
    expect(() => loadConfig({ BERTH_HOME: '/x', BERTH_SESSION_PROXY: 'sometimes' })).toThrow(
      /BERTH_SESSION_PROXY=sometimes is not inherit or none/,
    );
  });
});
