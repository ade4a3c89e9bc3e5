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

export interface ScriptedResponsesOptions extends ListenOptions {
  /**
   * Answers to the conversation's requests (those that offer tools), in order. A string tool
   * input makes a freeform (custom) tool call.
   */
  turns: ScriptedTurn[];
  /** The answer to side requests without tools (Codex asks for a thread title): not a turn. */
  sideText?: string;
}

export interface ScriptedResponses extends ScriptedServer {
  /** The `POST /v1/responses` requests that offered tools: the agent's conversation. */
  conversation(): RecordedRequest[];
  turnsUsed(): number;
}

interface ResponsesBody {
  model?: string;
  stream?: boolean;
  input?: unknown[];
}

type OutputItem =
  | {
      type: 'message';
      id: string;
      role: 'assistant';
      status: 'completed';
      content: { type: 'output_text'; text: string; annotations: [] }[];
    }
  | {
      type: 'function_call';
      id: string;
      call_id: string;
      name: string;
      arguments: string;
      status: 'completed';
    }
  | {
      type: 'custom_tool_call';
      id: string;
      call_id: string;
      name: string;
      input: string;
      status: 'completed';
    };

function isResponses(req: RecordedRequest): boolean {
  return req.method === 'POST' && new URL(req.url, 'http://x').pathname === '/v1/responses';
}

/** A turn of the agent's own: tools in `tools`, or (Codex's code mode) in an `additional_tools` input item. */
export function offersTools(req: RecordedRequest): boolean {
  if (!isResponses(req)) return false;
  const body = req.body as (ResponsesBody & { tools?: unknown[] }) | undefined;
  if (Array.isArray(body?.tools) && body.tools.length > 0) return true;
  return (body?.input ?? []).some((i) => (i as { type?: string }).type === 'additional_tools');
}

/**
 * The OpenAI Responses API, scripted: `POST /v1/responses` streams (SSE) or returns each turn,
 * `GET /v1/models` lists one model; anything else is a 404 (recorded like everything else).
 */
export async function scriptedResponses(opts: ScriptedResponsesOptions): Promise<ScriptedResponses> {
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
        object: 'list',
        data: [{ id: 'gpt-scripted', object: 'model', owned_by: 'berth' }],
      });
      return;
    }
    if (isResponses(req)) {
      const turn = offersTools(req) ? script.take() : { text: opts.sideText ?? 'Scripted task' };
      answer(res, (req.body ?? {}) as ResponsesBody, turn, nextId);
      return;
    }
    sendJson(res, 404, { error: { type: 'not_found', message: `no ${req.method} ${path}` } });
  }, opts);

  return {
    ...server,
    conversation: () => server.requests.filter(offersTools),
    turnsUsed: () => script.used,
  };
}

function answer(
  res: ServerResponse,
  body: ResponsesBody,
  turn: ScriptedTurn,
  nextId: (p: string) => string,
): void {
  const items: OutputItem[] = [];
  if (turn.text) {
    items.push({
      type: 'message',
      id: nextId('msg'),
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text: turn.text, annotations: [] }],
    });
  }
  for (const call of turn.toolCalls ?? []) {
    if (typeof call.input === 'string') {
      items.push({
        type: 'custom_tool_call',
        id: nextId('ctc'),
        call_id: nextId('call'),
        name: call.name,
        input: call.input,
        status: 'completed',
      });
    } else {
      items.push({
        type: 'function_call',
        id: nextId('fc'),
        call_id: nextId('call'),
        name: call.name,
        arguments: JSON.stringify(call.input),
        status: 'completed',
      });
    }
  }
  const id = nextId('resp');
  const model = body.model ?? 'gpt-scripted';
  const usage = {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 5,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 15,
  };
  const response = (status: string, output: OutputItem[]) => ({
    id,
    object: 'response',
    created_at: 1_780_000_000,
    status,
    model,
    output,
    usage: status === 'completed' ? usage : null,
  });

  if (!body.stream) {
    sendJson(res, 200, response('completed', items));
    return;
  }

  let seq = 0;
  const events: { event: string; data: unknown }[] = [];
  const push = (type: string, data: Record<string, unknown>) =>
    events.push({ event: type, data: { type, sequence_number: seq++, ...data } });

  push('response.created', { response: response('in_progress', []) });
  push('response.in_progress', { response: response('in_progress', []) });
  items.forEach((item, output_index) => {
    if (item.type === 'message') {
      const text = item.content[0]?.text ?? '';
      push('response.output_item.added', {
        output_index,
        item: { ...item, status: 'in_progress', content: [] },
      });
      const part = { type: 'output_text', text: '', annotations: [] };
      push('response.content_part.added', { item_id: item.id, output_index, content_index: 0, part });
      for (const delta of pieces(text)) {
        push('response.output_text.delta', { item_id: item.id, output_index, content_index: 0, delta });
      }
      push('response.output_text.done', { item_id: item.id, output_index, content_index: 0, text });
      push('response.content_part.done', {
        item_id: item.id,
        output_index,
        content_index: 0,
        part: { ...part, text },
      });
    } else if (item.type === 'function_call') {
      push('response.output_item.added', {
        output_index,
        item: { ...item, status: 'in_progress', arguments: '' },
      });
      for (const delta of pieces(item.arguments)) {
        push('response.function_call_arguments.delta', { item_id: item.id, output_index, delta });
      }
      push('response.function_call_arguments.done', {
        item_id: item.id,
        output_index,
        arguments: item.arguments,
      });
    } else {
      push('response.output_item.added', {
        output_index,
        item: { ...item, status: 'in_progress', input: '' },
      });
      for (const delta of pieces(item.input)) {
        push('response.custom_tool_call_input.delta', { item_id: item.id, output_index, delta });
      }
      push('response.custom_tool_call_input.done', { item_id: item.id, output_index, input: item.input });
    }
    push('response.output_item.done', { output_index, item });
  });
  push('response.completed', { response: response('completed', items) });
  sendEvents(res, events);
}

/** Every text a Responses request carries in its input: user and assistant messages, tool outputs. */
export function inputTexts(req: RecordedRequest): string[] {
  const input = ((req.body as ResponsesBody | undefined)?.input ?? []) as {
    type?: string;
    role?: string;
    content?: string | { type: string; text?: string }[];
    output?: unknown;
  }[];
  const out: string[] = [];
  for (const item of input) {
    if (typeof item.content === 'string') out.push(item.content);
    else if (Array.isArray(item.content)) for (const c of item.content) if (c.text) out.push(c.text);
    if (typeof item.output === 'string') out.push(item.output);
  }
  return out;
}
