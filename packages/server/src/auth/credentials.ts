import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hash, verify } from '@node-rs/argon2';

// OWASP's argon2id settings: 19 MiB, 2 iterations, 1 lane.
// (`Algorithm` is a const enum the compiler cannot import here; 2 is its Argon2id.)
const ARGON2 = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export const hashPassword = (password: string) => hash(password, ARGON2);

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  if (!passwordHash) return false;
  return verify(passwordHash, password).catch(() => false);
}

/** A fixed hash to verify against when the user does not exist, so timing does not tell. */
export const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));

/** `berth_` + 32 random bytes; shown once, stored as its SHA-256. */
export function newToken(): { token: string; tokenHash: string } {
  const token = `berth_${randomBytes(32).toString('base64url')}`;
  return { token, tokenHash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The server's own secret (CSRF tokens are MACs with it), 0600 under BERTH_HOME. */
export async function loadServerSecret(home: string): Promise<Buffer> {
  const file = join(home, 'server.key');
  const existing = await readFile(file).catch(() => null);
  if (existing && existing.length >= 32) return existing;
  const secret = randomBytes(32);
  await writeFile(file, secret, { mode: 0o600, flag: 'w' });
  return secret;
}

export function csrfTokenFor(secret: Buffer, loginTokenHash: string): string {
  return createHmac('sha256', secret).update(`csrf:${loginTokenHash}`).digest('base64url');
}
