import { createPrivateKey } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidInput } from '../errors/berth-error.js';

const MAX_KEY_CHARS = 16 * 1024;
const OPENSSH_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const OPENSSH_END = '-----END OPENSSH PRIVATE KEY-----';
const PEM_RE = /^-----BEGIN (RSA PRIVATE KEY|EC PRIVATE KEY|PRIVATE KEY)-----\n[\s\S]+\n-----END \1-----$/;
const PUBLIC_RE =
  /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-|sk-(ssh|ecdsa)-)\S*\s+AAAA|^-----BEGIN (RSA )?PUBLIC KEY-----|^---- BEGIN SSH2 PUBLIC KEY ----/;

const HINT =
  'pass an unencrypted OpenSSH or PEM private key, e.g. one made with `ssh-keygen -t ed25519 -N "" -f KEY` (--ssh-key KEY)';

/**
 * Checks that `raw` is one unencrypted SSH private key ssh can use without a prompt, and returns it
 * normalised (LF line ends, one trailing newline). Messages never quote the input.
 */
export function parseSshKey(raw: unknown): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new InvalidInput('the SSH key is empty', { hint: HINT });
  }
  if (raw.length > MAX_KEY_CHARS || raw.includes('\0')) {
    throw new InvalidInput('the SSH key is not a private key berth can use (too long, or binary)', {
      hint: HINT,
    });
  }
  const key = raw.replace(/\r\n?/g, '\n').trim();
  if (PUBLIC_RE.test(key)) {
    throw new InvalidInput('that is an SSH public key; berth needs the private key', {
      hint: 'pass the file without .pub (e.g. ~/.ssh/id_ed25519, not ~/.ssh/id_ed25519.pub)',
    });
  }
  if (key.startsWith(OPENSSH_BEGIN)) {
    checkOpenSsh(key);
    return `${key}\n`;
  }
  if (/^-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(key) || /Proc-Type:\s*4,ENCRYPTED/.test(key)) {
    throw passphraseProtected();
  }
  if (PEM_RE.test(key)) {
    try {
      createPrivateKey({ key, format: 'pem' });
    } catch {
      throw new InvalidInput('the SSH key is a damaged PEM private key', { hint: HINT });
    }
    return `${key}\n`;
  }
  throw new InvalidInput('the SSH key is not a private key berth recognises', { hint: HINT });
}

function passphraseProtected(): InvalidInput {
  return new InvalidInput('the SSH key is protected by a passphrase, which berth cannot type', {
    hint: 'give berth a key of its own without a passphrase (`ssh-keygen -t ed25519 -N "" -f KEY`), added as a deploy key',
  });
}

/** openssh-key-v1: magic, then ciphername, kdfname, kdfoptions, the number of keys. */
function checkOpenSsh(key: string): void {
  const damaged = () => new InvalidInput('the SSH key is a damaged OpenSSH private key', { hint: HINT });
  const end = key.indexOf(OPENSSH_END);
  if (end < 0 || key.slice(end + OPENSSH_END.length).trim() !== '') throw damaged();
  const body = key.slice(OPENSSH_BEGIN.length, end).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw damaged();
  const bytes = Buffer.from(body, 'base64');
  const magic = Buffer.from('openssh-key-v1\0');
  if (bytes.length < magic.length + 4 || !bytes.subarray(0, magic.length).equals(magic)) throw damaged();
  let at = magic.length;
  const str = (): Buffer => {
    if (at + 4 > bytes.length) throw damaged();
    const len = bytes.readUInt32BE(at);
    at += 4;
    if (at + len > bytes.length) throw damaged();
    const out = bytes.subarray(at, at + len);
    at += len;
    return out;
  };
  const cipher = str().toString('latin1');
  const kdf = str().toString('latin1');
  str(); // kdf options
  if (at + 4 > bytes.length) throw damaged();
  const keys = bytes.readUInt32BE(at);
  if (cipher !== 'none' || kdf !== 'none') throw passphraseProtected();
  if (keys !== 1) throw damaged();
}

/** Single-quotes a word for the shell git runs GIT_SSH_COMMAND with. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The ssh command for one git call: only `keyFile` (or no key at all) is offered, never the host's
 * agent or ~/.ssh; no prompts; a host seen first is remembered in `knownHosts`, a changed one refused.
 */
export function sshCommand(keyFile: string | null, knownHosts: string): string {
  return [
    'ssh',
    '-F',
    '/dev/null',
    ...(keyFile ? ['-i', shellQuote(keyFile)] : ['-o', 'IdentityFile=none']),
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=accept-new',
    '-o',
    `UserKnownHostsFile=${shellQuote(knownHosts)}`,
  ].join(' ');
}

/**
 * Runs `work` with the key in a 0600 file inside a fresh 0700 directory, removed afterwards whatever
 * happens. The key exists on disk only for the length of one git call.
 */
export async function withKeyFile<T>(
  key: string | null,
  work: (file: string | null) => Promise<T>,
): Promise<T> {
  if (key === null) return work(null);
  const dir = await mkdtemp(join(tmpdir(), 'berth-ssh-'));
  try {
    const file = join(dir, 'key');
    await writeFile(file, key, { mode: 0o600, flag: 'wx' });
    return await work(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
