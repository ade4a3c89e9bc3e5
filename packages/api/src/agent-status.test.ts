import { describe, expect, it } from 'vitest';
import { taskOf } from './agent-status.js';

describe('taskOf', () => {
  it('is the first non-blank line, trimmed, at most 200 characters, without control characters', () => {
    expect(taskOf('\n  Fix the login form  \nthen the tests')).toBe('Fix the login form');
    expect(taskOf('')).toBeNull();
    expect(taskOf(null)).toBeNull();
    expect(taskOf(' \n\t\n')).toBeNull();
    expect(taskOf(`${'a'.repeat(300)}`)).toHaveLength(200);
    const esc = String.fromCharCode(27);
    const task = taskOf(`${esc}]0;pwned${String.fromCharCode(7)}clear ${esc}[2Jit`) ?? '';
    expect(task).toContain('clear');
    expect([...task].every((ch) => ch.charCodeAt(0) >= 0x20 && ch.charCodeAt(0) !== 0x7f)).toBe(true);
  });
});
