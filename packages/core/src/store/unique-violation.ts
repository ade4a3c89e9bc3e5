/**
 * True when the database refused a row because a unique column (not the primary key) already
 * holds its value. better-sqlite3 and pg say so in their own words.
 */
export function isUniqueViolation(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, constraint } = err as { code?: unknown; constraint?: unknown };
  if (code === 'SQLITE_CONSTRAINT_UNIQUE') return true;
  // 23505 is unique_violation, primary keys included: theirs are named `<table>_pkey`.
  return code === '23505' && !(typeof constraint === 'string' && constraint.endsWith('_pkey'));
}
