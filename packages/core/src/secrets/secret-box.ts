import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidInput } from '../errors/berth-error.js';

const VERSION = 'v1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
// GCM would otherwise take a tag as short as 4 bytes, which a forger can guess.
const TAG_BYTES = 16;

/**
 * AES-256-GCM with one key per berth home (docs/security.md, "Secrets"). A sealed value is
 * `v1.<iv>.<tag>.<ciphertext>` in base64url; the scope and name are bound in as associated data,
 * so a ciphertext moved to another secret's row does not open.
 */
export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static fromKey(key: Buffer): SecretBox {
    if (key.length !== KEY_BYTES) throw new Error(`a secret key is ${KEY_BYTES} bytes, not ${key.length}`);
    return new SecretBox(Buffer.from(key));
  }

  /**
   * BERTH_SECRET_KEY (64 hex digits or 43 base64url characters) when set; otherwise the 0600 file
   * `secret.key` under BERTH_HOME, made on first use.
   */
  static async open(home: string, env: NodeJS.ProcessEnv = process.env): Promise<SecretBox> {
    const fromEnv = env.BERTH_SECRET_KEY;
    if (fromEnv) {
      const key = /^[0-9a-f]{64}$/i.test(fromEnv)
        ? Buffer.from(fromEnv, 'hex')
        : Buffer.from(fromEnv, 'base64url');
      if (key.length !== KEY_BYTES) {
        throw new InvalidInput(
          'BERTH_SECRET_KEY must be 32 bytes: 64 hex digits or 43 base64url characters',
          {
            hint: 'make one with `openssl rand -hex 32`, or unset it to keep the key file under BERTH_HOME',
          },
        );
      }
      return new SecretBox(key);
    }
    const file = join(home, 'secret.key');
    const existing = await readFile(file).catch(() => null);
    if (existing && existing.length === KEY_BYTES) return new SecretBox(existing);
    const key = randomBytes(KEY_BYTES);
    // wx: two daemons racing on a fresh home must not each write their own key.
    await writeFile(file, key, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err;
    });
    const stored = await readFile(file);
    if (stored.length !== KEY_BYTES) throw new Error(`${file} is not a berth secret key (wrong length)`);
    return new SecretBox(stored);
  }

  seal(plaintext: Buffer | string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return [VERSION, iv, cipher.getAuthTag(), body]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  open(sealed: string, context: string): Buffer {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== VERSION || !iv || !tag || body === undefined)
      throw new Error('not a berth sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(context));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  }
}
