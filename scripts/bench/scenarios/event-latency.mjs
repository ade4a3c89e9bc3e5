// event_latency: a `docker kill` of a session's container, outside berth, until the events
// WebSocket says the session stopped, against the same kill until the engine's own events stream
// says `die`. Both clocks start at the kill; one kill serves both sides.
import { performance } from 'node:perf_hooks';
import { iterationTag } from '../harness.mjs';
import { SMALL_SESSION_MEMORY } from '../util.mjs';

export const rows = [
  {
    name: 'event_latency',
    what: "docker kill -> session.status.changed on the events WebSocket vs -> the engine's own die event",
  },
];

export function notes(_ctx, shown) {
  if (!shown.some((r) => r.name === 'event_latency')) return [];
  return [
    "  event_latency: berth reports a stop once the engine's inspect says `exited`, which the engine answers" +
      ' only after its exit clean-up, tens of ms after it emits `die`',
  ];
}

/** Frames and engine events as they arrive, with the time each came. */
function arrivals() {
  const seen = [];
  const waiters = new Set();
  return {
    push(item) {
      const at = performance.now();
      seen.push({ item, at });
      for (const w of waiters) w();
    },
    /** When the first item since `from` that `ok` accepts came. */
    async when(from, ok, what, ms = 10_000) {
      const deadline = performance.now() + ms;
      for (;;) {
        const hit = seen.find((x) => x.at >= from && ok(x.item));
        if (hit) return hit.at;
        if (performance.now() > deadline) throw new Error(`no ${what} within ${ms} ms of the kill`);
        await new Promise((resolve) => {
          const done = () => {
            waiters.delete(done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, 50);
          waiters.add(done);
        });
      }
    },
  };
}

export async function run(ctx) {
  const op = 'event_latency';
  const { opts, docker } = ctx;
  const { client } = await ctx.daemon();
  const { repo } = await ctx.repo100();
  ctx.log('event latency: docker kill until the WebSocket frame, and until the engine event');
  const name = 'bench-events';
  const session = await client.createSession({ name, repo, memoryBytes: SMALL_SESSION_MEMORY });
  const frames = arrivals();
  const ws = client.events();
  ws.on('message', (data) => frames.push(JSON.parse(data.toString('utf8'))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  ws.on('error', (err) => ctx.log(`events WebSocket: ${err.message}`));
  ws.send(JSON.stringify({ type: 'subscribe.session', session: name, id: 'sub' }));
  await frames.when(0, (f) => f.type === 'ack' && f.id === 'sub', 'subscription ack');

  const engine = arrivals();
  const abort = new AbortController();
  const stream = await docker.getEvents({
    abortSignal: abort.signal,
    filters: { type: ['container'], event: ['die'], container: [session.containerId] },
  });
  let buf = '';
  stream.on('data', (chunk) => {
    buf += chunk.toString();
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) engine.push(JSON.parse(line));
    }
  });
  stream.on('error', () => {}); // ends with the abort below
  try {
    const container = docker.getContainer(session.containerId);
    for (let i = 0; i < opts.warmup + opts.iterations; i++) {
      ctx.checkInterrupted();
      const measured = i >= opts.warmup;
      const t0 = performance.now();
      await container.kill();
      const [berthAt, rawAt] = await Promise.all([
        frames.when(
          t0,
          (f) => f.type === 'session.status.changed' && f.session.id === session.id && f.to === 'stopped',
          'session.status.changed frame',
        ),
        engine.when(t0, (e) => e.Action === 'die', 'die event from the engine'),
      ]);
      const got = { berth: berthAt - t0, raw: rawAt - t0 };
      if (measured) {
        ctx.samples[op].berth.push(got.berth);
        ctx.samples[op].raw.push(got.raw);
        ctx.samples[op].paired.push(got.berth / got.raw);
      }
      const tag = iterationTag(i, opts.warmup, opts.iterations);
      ctx.log(`${op} ${tag}: WebSocket ${got.berth.toFixed(1)} ms, engine events ${got.raw.toFixed(1)} ms`);
      // Untimed: running again (and its frame seen) before the next kill.
      const startedAt = performance.now();
      await client.act(name, 'start');
      await frames.when(
        startedAt,
        (f) => f.type === 'session.status.changed' && f.session.id === session.id && f.to === 'running',
        'running again',
      );
    }
  } finally {
    abort.abort();
    stream.destroy?.();
    ws.terminate();
  }
}
