import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SecretBox } from './secret-box.js';

describe('sealed secrets', () => {
  const box = SecretBox.fromKey(randomBytes(32));

  it('opens what it sealed, under the same context only', () => {
    const sealed = box.seal('hunter2', 'scope/name');
    expect(box.open(sealed, 'scope/name').toString()).toBe('hunter2');
    expect(() => box.open(sealed, 'scope/other')).toThrow();
  });

  it('refuses a sealed value whose tag was cut short (a 4-byte tag is 2^32 forgeries away)', () => {
    const [version, iv, tag, body] = box.seal('hunter2', 'scope/name').split('.');
    const short = Buffer.from(tag!, 'base64url').subarray(0, 4).toString('base64url');
    expect(() => box.open([version, iv, short, body].join('.'), 'scope/name')).toThrow();
  });
});
