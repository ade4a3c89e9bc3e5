import { describe, expect, it } from 'vitest';
import { fieldOfProblem } from './problem-field';

describe('fieldOfProblem', () => {
  it('finds the field a server message is about', () => {
    expect(fieldOfProblem('session name "Bad Name" is not a valid slug')).toBe('name');
    expect(fieldOfProblem("a session named 'api' already exists")).toBe('name');
    expect(fieldOfProblem('repository path /x does not exist')).toBe('repo');
    expect(fieldOfProblem('/x is not a git repository')).toBe('repo');
    expect(fieldOfProblem('"a..b" is not a valid branch name')).toBe('branch');
    expect(fieldOfProblem('image foo is not present on the Docker Engine')).toBe('image');
    expect(fieldOfProblem('cpus must be a number between 0.01 and 256, not 0')).toBe('cpus');
    expect(fieldOfProblem('memory must be at least 6m')).toBe('memory');
    expect(fieldOfProblem('environment variable name "1A" is not valid')).toBe('env');
    expect(fieldOfProblem('body: /memoryBytes must be >= 6291456')).toBe('memory');
    expect(fieldOfProblem('that is an SSH public key; berth needs the private key')).toBe('sshKey');
    expect(fieldOfProblem('a git email is an address like name@example.com')).toBe('gitEmail');
    expect(fieldOfProblem('a git user name is 1 to 200 characters')).toBe('gitName');
    expect(fieldOfProblem("no agent profile named 'clod'")).toBe('agent');
    expect(fieldOfProblem('autonomy is one of full, ask, not "some"')).toBe('autonomy');
    expect(fieldOfProblem('a preview command is a non-empty list of arguments without NUL')).toBe(
      'previewCommand',
    );
    expect(fieldOfProblem('preview port must be a whole number between 1 and 65535, not 0')).toBe(
      'previewPort',
    );
    expect(fieldOfProblem('"repository.local:99999" is not a host to allow')).toBe('allow');
    expect(fieldOfProblem('65 hosts to allow; the most is 64')).toBe('allow');
    expect(fieldOfProblem("--allow is for egress allowlist; this session's is open")).toBe('allow');
    expect(fieldOfProblem('body: /allow/0 must NOT have more than 260 characters')).toBe('allow');
    expect(fieldOfProblem('egress is one of open, allowlist, none, not "some"')).toBe('egress');
    expect(fieldOfProblem('10 sessions are running: the limit')).toBeNull();
  });
});
