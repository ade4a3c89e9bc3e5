// A scripted Messages API for the agent rows (dispatch_claude, model_turn_broker), and berth's
// claude profile pointed at it.
import { readFile, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';

/** berth's session image (Node, the agents' CLIs): the agent and egress rows need it. */
export const SESSION_IMAGE = 'berth/session:bookworm';
/** A key of the real key's shape, as `berth auth setup` stores it. */
export const DISPATCH_KEY = 'sk-ant-api03-bench-0123456789-abcdefghijKLMNOPQRST';

/** Whether berth's session image is there. */
export function sessionImageExists(docker) {
  return docker
    .getImage(SESSION_IMAGE)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

/** One SSE answer of the Messages API that ends the turn: enough for any request Claude Code makes. */
function anthropicDone(res, model) {
  const events = [
    [
      'message_start',
      {
        type: 'message_start',
        message: {
          id: 'msg_bench',
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 1, output_tokens: 1 },
        },
      },
    ],
    [
      'content_block_start',
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    ],
    [
      'content_block_delta',
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Done.' } },
    ],
    ['content_block_stop', { type: 'content_block_stop', index: 0 }],
    [
      'message_delta',
      {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 1 },
      },
    ],
    ['message_stop', { type: 'message_stop' }],
  ];
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  for (const [event, data] of events) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  res.end();
}

/**
 * A scripted Messages API on `host` (the session network's gateway, where containers reach the
 * host): every request is answered "Done."; `waitFor(marker)` resolves when a request carrying
 * the marker (the prompt) arrives. Closed at the run's cleanup if the scenario does not.
 */
export async function scriptedClaudeApi(ctx, host) {
  const waiting = new Map();
  const server = createHttpServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      for (const [marker, resolve] of waiting) {
        if (body.includes(marker)) {
          waiting.delete(marker);
          resolve();
        }
      }
      if (req.method !== 'POST') return res.end();
      let model = 'claude-bench';
      try {
        model = JSON.parse(body).model ?? model;
      } catch {}
      anthropicDone(res, model);
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const close = () =>
    new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections?.();
    });
  ctx.defer(() => (server.listening ? close() : undefined));
  return {
    url: `http://${host}:${server.address().port}`,
    waitFor(marker, ms = 120_000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(marker);
          reject(new Error(`no model request with ${marker} within ${ms} ms`));
        }, ms);
        waiting.set(marker, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
    close,
  };
}

/** berth's built-in claude profile, pointed at the scripted API, with the key `berth auth setup` stores. */
export async function pointClaudeAt(ctx, client, api) {
  const file = join(ctx.home, 'config.json');
  const config = JSON.parse(await readFile(file, 'utf8'));
  config.agents.claude = { env: { ANTHROPIC_BASE_URL: api.url } };
  await writeFile(file, JSON.stringify(config));
  await client.putAgentCredentials('claude', { keys: { ANTHROPIC_API_KEY: DISPATCH_KEY } });
}
