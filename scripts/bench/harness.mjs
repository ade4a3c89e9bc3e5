// How a row is measured and reported: timing, medians and percentiles, the alternating berth/raw
// pair, the result rows and the table.
import { performance } from 'node:perf_hooks';

export async function timed(fn, before) {
  if (before) await before();
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/**
 * Request rows (previews, egress, model turns): rounds of ROUND_BATCH sequential requests a side,
 * the sides in turn, fewer rounds with --quick, the first WARMUP_ROUNDS left out.
 */
export const ROUNDS = 20;
export const ROUNDS_QUICK = 6;
export const WARMUP_ROUNDS = 2;
export const ROUND_BATCH = 25;

export const round1 = (n) => Math.round(n * 10) / 10;
export const round2 = (n) => Math.round(n * 100) / 100;

/** `3/15` for a measured iteration, `warm-up 1/2` for one left out. */
export function iterationTag(i, warmup, iterations) {
  return i >= warmup ? `${i - warmup + 1}/${iterations}` : `warm-up ${i + 1}/${warmup}`;
}

/**
 * Runs both sides of one operation, in the given order, and keeps the samples when measured.
 * Callers swap the order every iteration so drift hits both alike.
 */
export async function pair(ctx, op, berthFirst, measured, berthFn, rawFn, before) {
  const sides = berthFirst
    ? [
        ['berth', berthFn],
        ['raw', rawFn],
      ]
    : [
        ['raw', rawFn],
        ['berth', berthFn],
      ];
  const got = {};
  for (const [side, fn] of sides) {
    ctx.checkInterrupted();
    got[side] = await timed(fn, before);
    if (measured) ctx.samples[op][side].push(got[side]);
  }
  // The two sides of one iteration ran back to back: their ratio shrugs off drift between iterations.
  if (measured) ctx.samples[op].paired.push(got.berth / got.raw);
  return got;
}

/** Keeps one measured round of a request row: every request a side, and the ratio of their medians. */
export function keepRound(ctx, op, berth, raw) {
  ctx.samples[op].berth.push(...berth);
  ctx.samples[op].raw.push(...raw);
  // Each round's sides ran back to back: the ratio of their medians shrugs off drift.
  ctx.samples[op].paired.push(median(berth) / median(raw));
}

/** One result per row that has samples, in the order of `rowDefs`. */
export function results(ctx, rowDefs) {
  return rowDefs
    .filter((o) => ctx.samples[o.name].berth.length > 0)
    .map((o) => {
      const { berth, raw, paired } = ctx.samples[o.name];
      const med = median(berth);
      const rawMed = median(raw);
      return {
        name: o.name,
        median_ms: round1(med),
        raw_median_ms: round1(rawMed),
        ratio: round2(med / rawMed),
        p90_ms: round1(percentile(berth, 90)),
        raw_p90_ms: round1(percentile(raw, 90)),
        // A load row has no pairs: its requests ran side by side, not one berth then one raw.
        paired_ratio: paired.length > 0 ? round2(median(paired)) : null,
        iterations: berth.length,
        ...(ctx.loadStats[o.name] ?? {}),
      };
    });
}

/**
 * The table: a header, one line per row, what each row measures, then `notes` (the scenarios'
 * own lines), what was skipped, rows whose samples spread widely, and `trailer`.
 */
export function table(ctx, rows, rowDefs, meta, notes, trailer = []) {
  const head = ['operation', 'berth median', 'raw median', 'ratio', 'berth p90', 'raw p90', 'paired', 'n'];
  const body = rows.map((r) => [
    r.name,
    `${r.median_ms.toFixed(1)} ms`,
    `${r.raw_median_ms.toFixed(1)} ms`,
    `${r.ratio.toFixed(2)}x`,
    `${r.p90_ms.toFixed(1)} ms`,
    `${r.raw_p90_ms.toFixed(1)} ms`,
    r.paired_ratio === null ? '-' : `${r.paired_ratio.toFixed(2)}x`,
    String(r.iterations),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const fmt = (cells) =>
    cells.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  ');
  const lines = [
    `berth bench: image ${meta.image}, Docker Engine ${meta.engine}, ${meta.cpus} CPUs, node ${process.version}`,
    `engine ops: ${ctx.opts.iterations} iterations after ${ctx.opts.warmup} warm-up, berth and raw interleaved;` +
      ' berth through its daemon over the unix socket, raw through dockerode',
    '',
    fmt(head),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...body.map(fmt),
    '',
    ...rowDefs
      .filter((o) => rows.some((r) => r.name === o.name))
      .map((o) => `  ${o.name.padEnd(widths[0])}  ${o.what}`),
    "  ratio = berth median / raw median; paired = median of each iteration's berth/raw (robust to drift)",
    ...notes,
  ];
  for (const [op, why] of Object.entries(ctx.skipped)) lines.push(`  ${op}: skipped: ${why}`);
  for (const r of rows) {
    const o = rowDefs.find((x) => x.name === r.name);
    if (o?.load || o?.requests) continue; // hundreds of requests always spread
    const { berth, raw } = ctx.samples[r.name];
    const spread = (v) => Math.max(...v) / Math.min(...v);
    if (spread(berth) > 3 || spread(raw) > 3) {
      const range = (v) => `${Math.min(...v).toFixed(0)}-${Math.max(...v).toFixed(0)} ms`;
      lines.push(
        `  note: ${r.name} samples spread widely (berth ${range(berth)}, raw ${range(raw)}): the machine's` +
          ' state, not berth, sets these numbers; read the paired ratio',
      );
    }
  }
  lines.push(...trailer);
  return `${lines.join('\n')}\n`;
}
