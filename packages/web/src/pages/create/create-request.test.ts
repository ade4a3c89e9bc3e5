import { describe, expect, it } from 'vitest';
import {
  allowOf,
  type CreateValues,
  EMPTY_VALUES,
  type EnvRow,
  envFromRows,
  isRemoteRepo,
  takesAllow,
  toRequest,
} from './create-request';

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----';

/** The form with a name and a repository, and whatever else the test types. */
const values = (v: Partial<CreateValues> = {}): CreateValues => ({
  ...EMPTY_VALUES,
  name: 'fix-login',
  repo: '/home/ann/src/shop',
  ...v,
});

const request = (v: Partial<CreateValues> = {}, env: EnvRow[] = []) => {
  const made = toRequest(values(v), env);
  if (!('request' in made)) throw new Error(`expected a request, got ${JSON.stringify(made.errors)}`);
  return made.request;
};

const errors = (v: Partial<CreateValues> = {}, env: EnvRow[] = []) => {
  const made = toRequest(values(v), env);
  if (!('errors' in made)) throw new Error(`expected errors, got ${JSON.stringify(made.request)}`);
  return made.errors;
};

describe('toRequest', () => {
  it('asks for a name and a repository', () => {
    expect(toRequest(EMPTY_VALUES, [])).toEqual({
      errors: {
        name: 'a name is required',
        repo: 'the path or URL of a git repository is required',
      },
    });
    expect(errors({ name: '  ', repo: ' ' })).toEqual({
      name: 'a name is required',
      repo: 'the path or URL of a git repository is required',
    });
  });

  it('sends only what was filled in, trimmed', () => {
    expect(request({ name: ' fix-login ', repo: ' /home/ann/src/shop ' })).toEqual({
      name: 'fix-login',
      repo: '/home/ann/src/shop',
    });
    expect(
      request({
        description: ' the login bug ',
        branch: ' main ',
        image: ' berth/node:22 ',
        cpus: '2',
        memory: '2g',
        team: 'people',
        idleTimeout: '10m',
        idleAction: 'stop',
      }),
    ).toEqual({
      name: 'fix-login',
      repo: '/home/ann/src/shop',
      description: 'the login bug',
      branch: 'main',
      image: 'berth/node:22',
      cpus: 2,
      memoryBytes: 2 * 1024 ** 3,
      team: 'people',
      idleTimeoutSeconds: 600,
      idleAction: 'stop',
    });
  });

  it('reads the idle timeout as `berth new --idle-timeout` does', () => {
    expect(request({ idleTimeout: '300' }).idleTimeoutSeconds).toBe(300);
    expect(request({ idleTimeout: '1h30m' }).idleTimeoutSeconds).toBe(5400);
    expect(request({ idleTimeout: '1h 30m' }).idleTimeoutSeconds).toBe(5400);
    expect(request({ idleTimeout: '2d' }).idleTimeoutSeconds).toBe(2 * 86_400);
    expect(request({ idleTimeout: '10min' }).idleTimeoutSeconds).toBe(600);
    expect(request({ idleTimeout: 'never' }).idleTimeoutSeconds).toBe(0);
    expect(request({ idleTimeout: '0' }).idleTimeoutSeconds).toBe(0);
    expect(request({ idleTimeout: '' })).not.toHaveProperty('idleTimeoutSeconds');
    expect(errors({ idleTimeout: '1.5h' }).idleTimeout).toBe('a time such as 300, 10m or 1h (0: never)');
    expect(errors({ idleTimeout: '30m1h' }).idleTimeout).toBe('a time such as 300, 10m or 1h (0: never)');
    expect(errors({ idleTimeout: '31d' }).idleTimeout).toBe('at most 30 days (0: never)');
  });

  it('sends an idle action only when one is chosen', () => {
    expect(request({ idleAction: 'pause' }).idleAction).toBe('pause');
    expect(request({ idleAction: '' })).not.toHaveProperty('idleAction');
  });

  it('reads memory as a size and CPUs as a number in range', () => {
    expect(request({ memory: '512m' }).memoryBytes).toBe(512 * 1024 ** 2);
    expect(request({ memory: '1.5 GiB' }).memoryBytes).toBe(1.5 * 1024 ** 3);
    expect(errors({ memory: 'lots' }).memory).toBe('a size such as 512m or 2g');
    expect(request({ cpus: '0.5' }).cpus).toBe(0.5);
    expect(request({ cpus: '256' }).cpus).toBe(256);
    for (const cpus of ['0', '-1', '257', 'two'])
      expect(errors({ cpus }).cpus).toBe('a number of CPUs between 0.01 and 256');
  });

  it('takes a whole private SSH key, for a repository given as a URL', () => {
    const repo = 'git@example.com:team/shop.git';
    expect(request({ repo, sshKey: ` ${KEY} ` }).sshKey).toBe(`${KEY}\n`);
    expect(errors({ repo, sshKey: 'ssh-ed25519 AAAA ann@laptop' }).sshKey).toBe(
      'that is a public key; paste the private key',
    );
    expect(errors({ repo, sshKey: '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl' }).sshKey).toBe(
      'paste a whole private key, from -----BEGIN … PRIVATE KEY----- to its END line',
    );
    expect(errors({ sshKey: KEY }).sshKey).toBe('an SSH key is only for a repository given as a URL');
  });

  it('takes a git name and email together', () => {
    expect(request({ gitName: ' Ann ', gitEmail: ' ann@example.com ' }).gitUser).toEqual({
      name: 'Ann',
      email: 'ann@example.com',
    });
    expect(errors({ gitName: 'Ann' })).toEqual({ gitEmail: 'give an email with the name' });
    expect(errors({ gitEmail: 'ann@example.com' })).toEqual({ gitName: 'give a name with the email' });
    expect(errors({ gitName: 'Ann', gitEmail: 'ann' })).toEqual({
      gitEmail: 'an address like name@example.com',
    });
  });

  it('sends a prompt and autonomy only with an agent', () => {
    expect(request({ agent: 'claude', prompt: ' fix it ', autonomy: 'ask' })).toMatchObject({
      agent: 'claude',
      prompt: 'fix it',
      autonomy: 'ask',
    });
    expect(request({ agent: 'claude' })).toMatchObject({ agent: 'claude', autonomy: 'full' });
    expect(request({ agent: 'claude' })).not.toHaveProperty('prompt');
    expect(request({ autonomy: 'ask' })).not.toHaveProperty('autonomy');
    expect(errors({ prompt: 'fix it' })).toEqual({ prompt: 'a prompt is for an agent: choose one above' });
  });

  it('asks for a preview, with the command and port only when given', () => {
    expect(request({ preview: true }).preview).toBe(true);
    expect(request({ preview: true, previewCommand: ' npm run dev ', previewPort: '5173' }).preview).toEqual({
      command: ['sh', '-c', 'npm run dev'],
      port: 5173,
    });
    expect(request({ preview: true, previewPort: '8000' }).preview).toEqual({ port: 8000 });
    for (const previewPort of ['0', '65536', '80.5', 'http'])
      expect(errors({ preview: true, previewPort }).previewPort).toBe('a port between 1 and 65535');
    // Without the preview the hidden fields are not read.
    expect(request({ previewCommand: 'npm run dev', previewPort: 'http' })).not.toHaveProperty('preview');
  });

  it('adds hosts to an allow-list only', () => {
    expect(request({ allow: 'packages.example.org, *.example.org  example.org:8443' }).allow).toEqual([
      'packages.example.org',
      '*.example.org',
      'example.org:8443',
    ]);
    expect(request({ egress: 'allowlist', allow: 'example.org' })).toMatchObject({
      egress: 'allowlist',
      allow: ['example.org'],
    });
    expect(request({ egress: 'open', allow: 'example.org' })).toEqual({
      name: 'fix-login',
      repo: '/home/ann/src/shop',
      egress: 'open',
    });
    expect(request({ egress: 'none', allow: 'example.org' })).not.toHaveProperty('allow');
    expect(request({ allow: ' , ' })).not.toHaveProperty('allow');
  });

  it('sends the environment rows as a map, and says what is wrong with them', () => {
    expect(
      request({}, [
        { id: 1, key: ' DEBUG ', value: '1' },
        { id: 2, key: '', value: '' },
      ]).env,
    ).toEqual({ DEBUG: '1' });
    expect(request({}, [{ id: 1, key: '', value: '' }])).not.toHaveProperty('env');
    expect(errors({}, [{ id: 1, key: '1A', value: 'x' }]).env).toMatch(/is not a variable name/);
  });

  it('reports every wrong field at once', () => {
    expect(Object.keys(errors({ name: '', memory: 'lots', idleTimeout: 'soon', cpus: '0' })).sort()).toEqual([
      'cpus',
      'idleTimeout',
      'memory',
      'name',
    ]);
  });
});

describe('envFromRows', () => {
  it('skips empty rows and trims names', () => {
    expect(
      envFromRows([
        { id: 1, key: ' A ', value: ' x ' },
        { id: 2, key: '', value: '' },
        { id: 3, key: '_B2', value: '' },
      ]),
    ).toEqual({ env: { A: ' x ', _B2: '' } });
  });

  it('refuses a name that is not a variable name, or one set twice', () => {
    expect(envFromRows([{ id: 1, key: '', value: 'x' }])).toEqual({
      error: '“(empty)” is not a variable name: letters, digits and _, not starting with a digit',
    });
    expect(envFromRows([{ id: 1, key: 'A-B', value: 'x' }])).toEqual({
      error: '“A-B” is not a variable name: letters, digits and _, not starting with a digit',
    });
    expect(
      envFromRows([
        { id: 1, key: 'A', value: '1' },
        { id: 2, key: 'A ', value: '2' },
      ]),
    ).toEqual({ error: 'A is set twice' });
  });
});

describe('isRemoteRepo', () => {
  it('tells a URL from a path on the server', () => {
    for (const repo of [
      'https://example.com/team/shop.git',
      'ssh://git@example.com/team/shop.git',
      'file:///srv/git/shop.git',
      'git@example.com:team/shop.git',
    ])
      expect(isRemoteRepo(repo)).toBe(true);
    for (const repo of ['/home/ann/src/shop', './shop', 'http://example.com/shop.git', 'C:/src/shop'])
      expect(isRemoteRepo(repo)).toBe(false);
  });
});

describe('allow hosts', () => {
  it('are split on commas and whitespace, and only taken by an allow-list', () => {
    expect(allowOf('a.example, b.example\nc.example')).toEqual(['a.example', 'b.example', 'c.example']);
    expect(allowOf('')).toEqual([]);
    expect(takesAllow('')).toBe(true);
    expect(takesAllow('allowlist')).toBe(true);
    expect(takesAllow('open')).toBe(false);
    expect(takesAllow('none')).toBe(false);
  });
});
