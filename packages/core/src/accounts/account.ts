import { InvalidInput } from '../errors/berth-error.js';

export type Role = 'admin' | 'member';

export interface User {
  id: string;
  username: string;
  role: Role;
  createdAt: string;
}

/** A user with the stored password hash: never leaves the server. */
export interface UserRecord extends User {
  passwordHash: string | null;
}

export type TokenKind = 'api' | 'web';

/** A bearer token (kind api) or a browser login (kind web); only its hash is stored. */
export interface TokenRecord {
  id: string;
  userId: string;
  kind: TokenKind;
  name: string;
  tokenHash: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Team {
  id: string;
  name: string;
  createdAt: string;
}

const USERNAME_RE = /^[a-z][a-z0-9._-]{0,38}[a-z0-9]$|^[a-z]$/;

export function parseUsername(raw: unknown): string {
  if (typeof raw !== 'string' || !USERNAME_RE.test(raw)) {
    throw new InvalidInput(`username ${JSON.stringify(String(raw).slice(0, 60))} is not valid`, {
      hint: 'use 1-40 lowercase letters, digits, dots, dashes or underscores, starting with a letter',
    });
  }
  return raw;
}
