import type { LogLine } from '../../api/use-log-follow';

export type LogLevel = 'any' | 'error' | 'warn' | 'info' | 'debug';

export interface LogFilter {
  search: string;
  stream: 'all' | 'stdout' | 'stderr';
  level: LogLevel;
}

export const DEFAULT_LOG_FILTER: LogFilter = { search: '', stream: 'all', level: 'any' };

/** Container output has no structured level: these are the words programs print for one. */
const LEVEL_WORDS: Record<Exclude<LogLevel, 'any'>, RegExp> = {
  error: /\b(error|err|fatal|panic|critical|exception)\b/i,
  warn: /\b(warn|warning)\b/i,
  info: /\b(info|notice)\b/i,
  debug: /\b(debug|trace)\b/i,
};

/** The lines that pass the filter; `error` keeps stderr lines too, where programs report failures. */
export function filterLogLines(lines: readonly LogLine[], f: LogFilter): LogLine[] {
  const needle = f.search.toLowerCase();
  return lines.filter(
    (l) =>
      (f.stream === 'all' || l.stream === f.stream) &&
      (f.level === 'any' ||
        LEVEL_WORDS[f.level].test(l.text) ||
        (f.level === 'error' && l.stream === 'stderr')) &&
      (!needle || l.text.toLowerCase().includes(needle)),
  );
}
