import type { ServerResponse } from 'node:http';
import {
  type ListenOptions,
  listenRecording,
  pieces,
  type RecordedRequest,
  type ScriptedServer,
  sendEvents,
  sendJson,
} from './recording-server.js';
import { type ScriptedTurn, TurnScript } from './script.js';

export interface ScriptedAnthropicOptions extends ListenOptions {
  /** Answers to the conversation's requests (those that offer tools), in order. */
  turns: ScriptedTurn[];
  /** The answer to side requests without tools (titles, quota checks): not a turn. */
  sideText?: string;
}

export interface ScriptedAnthropic extends ScriptedServer {
  /** The `POST /v1/messages` requests that offered tools: the agent's conversation. */
  conversation(): RecordedRequest[];
  /** How many scripted turns were answered. */
  turnsUsed(): number;
}

interface MessagesBody {
  model?: string;
  stream?: boolean;
  tools?: unknown[];
  messages?: unknown[];
}

type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

function isMessages(req: RecordedRequest): boolean {
  return req.method === 'POST' && new URL(req.url, 'http://x').pathname === '/v1/messages';
}

/** The agent's own turns offer tools; a title or quota request does not. */
export function offersTools(req: RecordedRequest): boolean {
  const body = req.body as MessagesBody | undefined;
  return isMessages(req) && Array.isArray(body?.tools) && body.tools.length > 0;
}

/**
 * The Anthropic Messages API, scripted: `POST /v1/messages` streams (SSE) or returns each turn,
 * `count_tokens`, the model list and the base URL's HEAD/GET probes are answered; anything
 * else is a 404 (recorded like everything else).
 */
export async function scriptedAnthropic(opts: ScriptedAnthropicOptions): Promise<ScriptedAnthropic> {
  const script = new TurnScript(opts.turns);
  let ids = 0;
  const nextId = (prefix: string) => `${prefix}_scripted_${String(++ids).padStart(4, '0')}`;

  const server = await listenRecording((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if ((req.method === 'HEAD' || req.method === 'GET') && path === '/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(req.method === 'GET' ? 'ok' : undefined);
      return;
    }
    if (req.method === 'GET' && path === '/v1/models') {
      sendJson(res, 200, {
        data: [
          {
            type: 'model',
            id: 'claude-scripted',
            display_name: 'Scripted',
            created_at: '2026-01-01T00:00:00Z',
          },
        ],
        has_more: false,
        first_id: 'claude-scripted',
        last_id: 'claude-scripted',
      });
      return;
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: Math.ceil(req.raw.length / 4) });
      return;
    }
    if (isMessages(req)) {
      const body = (req.body ?? {}) as MessagesBody;
      const turn = offersTools(req) ? script.take() : { text: opts.sideText ?? 'OK' };
      answer(res, body, turn, nextId);
      return;
    }
    sendJson(res, 404, {
      type: 'error',
      error: { type: 'not_found_error', message: `no ${req.method} ${path}` },
    });
  }, opts);

  return {
    ...server,
    conversation: () => server.requests.filter(offersTools),
    turnsUsed: () => script.used,
  };
}

function answer(
  res: ServerResponse,
  body: MessagesBody,
  turn: ScriptedTurn,
  nextId: (p: string) => string,
): void {
  const blocks: ContentBlock[] = [];
  if (turn.text) blocks.push({ type: 'text', text: turn.text });
  for (const call of turn.toolCalls ?? []) {
    if (typeof call.input === 'string') throw new Error('Messages API tool inputs are JSON objects');
    blocks.push({ type: 'tool_use', id: nextId('toolu'), name: call.name, input: call.input });
  }
  const stopReason = blocks.some((b) => b.type === 'tool_use') ? 'tool_use' : 'end_turn';
  const model = body.model ?? 'claude-scripted';
  const id = nextId('msg');
  const usage = {
    input_tokens: 10,
    output_tokens: 5,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };

  if (!body.stream) {
    sendJson(res, 200, {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: blocks,
      stop_reason: stopReason,
      stop_sequence: null,
      usage,
    });
    return;
  }

  const events: { event: string; data: unknown }[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
    },
  ];
  blocks.forEach((block, index) => {
    if (block.type === 'text') {
      events.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
      });
      for (const text of pieces(block.text)) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
        });
      }
    } else {
      events.push({
        event: 'content_block_start',
        data: {
          type: 'content_block_start',
          index,
          content_block: { type: 'tool_use', id: block.id, name: block.name, input: {} },
        },
      });
      for (const partial_json of pieces(JSON.stringify(block.input))) {
        events.push({
          event: 'content_block_delta',
          data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } },
        });
      }
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push(
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  sendEvents(res, events);
}

/** The text of every user message in a Messages request (string content and text blocks). */
export function userTexts(req: RecordedRequest): string[] {
  const messages = ((req.body as MessagesBody | undefined)?.messages ?? []) as {
    role: string;
    content: string | { type: string; text?: string }[];
  }[];
  const out: string[] = [];
  for (const m of messages) {
    if (m.role !== 'user') continue;
    if (typeof m.content === 'string') out.push(m.content);
    else for (const c of m.content) if (c.type === 'text' && c.text) out.push(c.text);
  }
  return out;
}
