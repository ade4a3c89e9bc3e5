import { readFileSync } from 'node:fs';

/** docs/errors.md, at the repository root. */
const ERRORS_DOC = new URL('../../../docs/errors.md', import.meta.url);

export interface CatalogueRow {
  code: string;
  /** The HTTP status the API answers with. */
  status: number;
  /** The CLI's exit code. */
  exit: number;
}

/** The rows of the error catalogue's table (docs/errors.md): code, HTTP status, CLI exit code. */
export function readErrorCatalogue(): CatalogueRow[] {
  const doc = readFileSync(ERRORS_DOC, 'utf8');
  return [...doc.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|\s*(\d+)\s*\|/gm)].map((m) => ({
    code: m[1]!,
    status: Number(m[2]),
    exit: Number(m[3]),
  }));
}
