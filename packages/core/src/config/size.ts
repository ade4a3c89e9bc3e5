import { InvalidInput } from '../errors/berth-error.js';

const SIZE_RE = /^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$/i;
const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** `512m`, `2g`, `1.5GiB`, `1073741824` → bytes. */
export function parseSize(raw: string): number {
  const m = SIZE_RE.exec(raw.trim());
  if (!m)
    throw new InvalidInput(`${JSON.stringify(raw)} is not a size`, { hint: 'use a size such as 512m or 2g' });
  const bytes = Math.round(Number(m[1]) * (UNITS[(m[2] ?? '').toLowerCase()] ?? 1));
  if (bytes < 6 * 1024 * 1024) throw new InvalidInput(`memory ${raw} is below the engine's minimum of 6m`);
  return bytes;
}
