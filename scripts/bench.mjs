#!/usr/bin/env node
// `npm run bench`: berth against the raw Docker Engine doing the same container work, in one run.
//
// Each row times one berth operation against the raw engine (dockerode) or tool doing the same
// work, berth and raw iterations alternating (and swapping order every iteration) so drift hits
// both alike, and prints the medians and their ratio. The rows and what each is measured against
// are in scripts/bench/scenarios/, one file a group of rows; scripts/bench/main.mjs runs them.
//
//   node scripts/bench.mjs [--json] [--quick] [--iterations N] [--warmup N] [--big-iterations N] [--only ROWS]
//
// stdout: a table (or, with --json, exactly one JSON line); progress goes to stderr.
import './bench/main.mjs';
