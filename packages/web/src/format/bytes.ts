const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 536870912 → "512 MiB". */
export function formatBytes(n: number): string {
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < UNITS.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${UNITS[i]}`;
}

const FACTORS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** "512m", "2g", "1.5 GiB", "268435456" → bytes, as the CLI's --memory reads them; null if not a size. */
export function parseBytes(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$/i.exec(text);
  if (!m) return null;
  const factor = FACTORS[m[2]!.toLowerCase()];
  return factor === undefined ? null : Math.round(Number(m[1]) * factor);
}
