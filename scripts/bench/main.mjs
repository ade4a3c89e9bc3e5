// The bench's arguments, the order its scenarios run in, and its output. Each scenario
// (scenarios/*.mjs) says what its rows measure and against what; this file only runs the ones
// whose rows are asked for.
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { daemonLogTail } from './daemon.mjs';
import { ROUNDS, ROUNDS_QUICK, results, table } from './harness.mjs';
import { IMAGE } from './raw-engine.mjs';
import { Run } from './run.mjs';
import * as createAgent from './scenarios/create-agent.mjs';
import * as createRemote from './scenarios/create-remote.mjs';
import * as dashboardFirstLoad from './scenarios/dashboard-first-load.mjs';
import * as dispatchClaude from './scenarios/dispatch-claude.mjs';
import * as egressRequest from './scenarios/egress-request.mjs';
import * as engine from './scenarios/engine.mjs';
import * as eventLatency from './scenarios/event-latency.mjs';
import * as listSessions from './scenarios/list-sessions.mjs';
import * as modelTurnBroker from './scenarios/model-turn-broker.mjs';
import * as previewHttp from './scenarios/preview-http.mjs';
import * as worktree from './scenarios/worktree.mjs';
import { log, root } from './util.mjs';

/** In the order they run and their rows are shown; list_sessions makes the sessions the dashboard loads. */
const SCENARIOS = [
  engine,
  worktree,
  createRemote,
  createAgent,
  dispatchClaude,
  modelTurnBroker,
  egressRequest,
  previewHttp,
  listSessions,
  dashboardFirstLoad,
  eventLatency,
];
const ROWS = SCENARIOS.flatMap((s) => s.rows);

const { LIST_SESSIONS, LIST_SESSIONS_QUICK } = listSessions;
const { REMOTE_ITERATIONS, REMOTE_ITERATIONS_QUICK } = createRemote;
const { AGENT_ITERATIONS, AGENT_ITERATIONS_QUICK } = createAgent;

function parseArgs(argv) {
  const opts = { json: false, quick: false, iterations: 15, warmup: 2, bigIterations: 3, bigWarmup: 1 };
  const num = (flag, value, min) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) usage(`${flag} needs a whole number >= ${min}, not ${value}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split('=', 2);
    const value = () => {
      if (inline !== undefined) return inline;
      i++;
      return argv[i];
    };
    if (flag === '--json') opts.json = true;
    else if (flag === '--quick') opts.quick = true;
    else if (flag === '--iterations') opts.iterations = num(flag, value(), 1);
    else if (flag === '--warmup') opts.warmup = num(flag, value(), 0);
    else if (flag === '--big-iterations') opts.bigIterations = num(flag, value(), 1);
    else if (flag === '--only') opts.only = new Set(String(value()).split(',').filter(Boolean));
    else if (flag === '--help' || flag === '-h') usage();
    else usage(`unknown argument ${argv[i]}`);
  }
  const unknown = [...(opts.only ?? [])].filter((n) => !ROWS.some((r) => r.name === n));
  if (unknown.length > 0) usage(`--only: no row named ${unknown.join(', ')}`);
  return opts;
}

function usage(problem) {
  const text =
    'usage: node scripts/bench.mjs [--json] [--quick] [--iterations N] [--warmup N] [--big-iterations N]\n' +
    '  --json             one JSON line on stdout instead of the table\n' +
    '  --quick            skip worktree_20k (a 20,000-file checkout takes about 15 s on a slow disk) and\n' +
    `                     run list_sessions with ${LIST_SESSIONS_QUICK} sessions, not ${LIST_SESSIONS} (making them takes about a minute),\n` +
    `                     create_remote ${REMOTE_ITERATIONS_QUICK} iterations, not ${REMOTE_ITERATIONS}, create_agent ${AGENT_ITERATIONS_QUICK}, not ${AGENT_ITERATIONS},\n` +
    `                     preview_http ${ROUNDS_QUICK} rounds, not ${ROUNDS}\n` +
    '  --iterations N     measured iterations per operation (default 15)\n' +
    '  --warmup N         warm-up iterations, left out of the statistics (default 2)\n' +
    '  --big-iterations N measured iterations for worktree_20k (default 3, after 1 warm-up)\n' +
    '  --only A,B         only these rows (the names in the table), e.g. --only dispatch_claude\n';
  process.stderr.write(problem ? `bench: ${problem}\n${text}` : text);
  process.exit(problem ? 2 : 0);
}

async function main(ctx) {
  const { docker, opts } = ctx;
  const version = await docker.version().catch((err) => {
    throw new Error(`no Docker Engine answers (${err.message}); start it or run \`npm run setup\``);
  });
  await docker
    .getImage(IMAGE)
    .inspect()
    .catch(() => {
      throw new Error(`image ${IMAGE} is missing; build it with \`node scripts/setup.mjs --for-tests\``);
    });
  if (!existsSync(join(root, 'packages/cli/dist/bin.js')))
    throw new Error('berth is not built: run `npm run build`');

  await ctx.open();
  log(`image ${IMAGE}, BERTH_HOME ${ctx.home}, run ${ctx.runId}`);
  const ran = [];
  for (const scenario of SCENARIOS) {
    // A scenario whose rows are not asked for costs nothing: no daemon, repository or container for it.
    if (!ctx.want(...scenario.rows.map((r) => r.name), ...(scenario.alsoFor ?? []))) continue;
    ctx.checkInterrupted();
    await scenario.run(ctx);
    ran.push(scenario);
  }

  const rows = results(ctx, ROWS);
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({
        image: IMAGE,
        quick: opts.quick,
        operations: rows,
        dashboard_js_gzip_bytes: ctx.report.dashboardJsGzipBytes,
        agents_volume_bytes: ctx.report.agentsVolumeBytes,
        skipped: ctx.skipped,
      })}\n`,
    );
    return;
  }
  const notes = ran.flatMap((s) => s.notes?.(ctx, rows) ?? []);
  const trailer = opts.quick
    ? [
        `  (--quick: worktree_20k skipped; list_sessions and dashboard_first_load with ${LIST_SESSIONS_QUICK} sessions, not ${LIST_SESSIONS};` +
          ` create_remote ${REMOTE_ITERATIONS_QUICK} iterations, create_agent ${AGENT_ITERATIONS_QUICK}, preview_http ${ROUNDS_QUICK} rounds)`,
      ]
    : [];
  const meta = { image: IMAGE, engine: version.Version, cpus: cpus().length };
  process.stdout.write(table(ctx, rows, ROWS, meta, notes, trailer));
}

const ctx = new Run(
  parseArgs(process.argv.slice(2)),
  ROWS.map((r) => r.name),
);
ctx.handleSignals();
let exitCode = 0;
try {
  await main(ctx);
} catch (err) {
  exitCode = ctx.interrupted ? 130 : 1;
  log(ctx.interrupted ? `stopped: ${err.message}` : `failed: ${err?.stack ?? err}`);
  const tail = ctx.daemonLog && existsSync(ctx.daemonLog) ? daemonLogTail(ctx.daemonLog) : '';
  if (tail) log(`daemon log tail:\n${tail}`);
} finally {
  await ctx.cleanup();
}
process.exit(exitCode);
