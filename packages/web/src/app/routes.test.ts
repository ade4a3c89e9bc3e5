import { describe, expect, it } from 'vitest';
import { parseRoute, paths } from './routes';

describe('routes', () => {
  it('maps addresses to screens', () => {
    expect(parseRoute('/')).toEqual({ page: 'dashboard' });
    expect(parseRoute('/new')).toEqual({ page: 'create' });
    expect(parseRoute('/sessions/fix%2Dlogin')).toEqual({ page: 'session', name: 'fix-login' });
    expect(parseRoute('/sessions/%E0%A4%A')).toEqual({ page: 'not-found', path: '/sessions/%E0%A4%A' });
    expect(parseRoute('/elsewhere')).toEqual({ page: 'not-found', path: '/elsewhere' });
  });

  it('follows next= only to a path on this site', () => {
    expect(parseRoute('/login', '?next=%2Fsessions%2Fa')).toEqual({ page: 'login', next: '/sessions/a' });
    for (const evil of ['//evil.example', '/\\evil.example', 'https://evil.example', 'javascript:alert(1)']) {
      expect(parseRoute('/login', `?next=${encodeURIComponent(evil)}`)).toEqual({
        page: 'login',
        next: null,
      });
    }
  });

  it('makes addresses', () => {
    expect(paths.session('a b')).toBe('/sessions/a%20b');
    expect(paths.login('/new')).toBe('/login?next=%2Fnew');
    expect(paths.login('/')).toBe('/login');
  });
});
