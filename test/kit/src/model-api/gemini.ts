import type { ServerResponse } from 'node:http';
import {
  type ListenOptions,
  listenRecording,
  type RecordedRequest,
  type ScriptedServer,
  sendJson,
} from './recording-server.js';
import { type ScriptedTurn, TurnScript } from './script.js';

export interface ScriptedGeminiOptions extends ListenOptions {
  /** Answers to the conversation's requests (those that declare functions), in order. */
  turns: ScriptedTurn[];
  /** The answer to side requests without tools (Gemini CLI's model router asks one): not a turn. */
  sideText?: string;
}

export interface ScriptedGemini extends ScriptedServer {
  conversation(): RecordedRequest[];
  turnsUsed(): number;
}

interface GenerateBody {
  contents?: { role?: string; parts?: { text?: string }[] }[];
  tools?: { functionDeclarations?: unknown[] }[];
}

const GENERATE = /^\/v1(?:beta)?\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;

/** Gemini CLI's own turns declare its tools; the router's classification does not. */
export function offersTools(req: RecordedRequest): boolean {
  const m = GENERATE.exec(new URL(req.url, 'http://x').pathname);
  if (req.method !== 'POST' || !m || m[2] === 'countTokens') return false;
  const body = req.body as GenerateBody | undefined;
  return (body?.tools ?? []).some((t) => (t.functionDeclarations?.length ?? 0) > 0);
}

/**
 * The Gemini API, scripted: `models/M:streamGenerateContent?alt=sse` streams each turn,
 * `:generateContent` returns it, `:countTokens` counts; anything else is a 404.
 */
export async function scriptedGemini(opts: ScriptedGeminiOptions): Promise<ScriptedGemini> {
  const script = new TurnScript(opts.turns);
  const server = await listenRecording((req, res) => {
    const m = GENERATE.exec(new URL(req.url, 'http://x').pathname);
    if (req.method === 'POST' && m) {
      if (m[2] === 'countTokens') {
        sendJson(res, 200, { totalTokens: Math.ceil(req.raw.length / 4) });
        return;
      }
      const turn = offersTools(req) ? script.take() : { text: opts.sideText ?? 'OK' };
      answer(res, m[1] ?? 'gemini-scripted', turn, m[2] === 'streamGenerateContent');
      return;
    }
    sendJson(res, 404, { error: { code: 404, message: `no ${req.method} ${req.url}`, status: 'NOT_FOUND' } });
  }, opts);
  return {
    ...server,
    conversation: () => server.requests.filter(offersTools),
    turnsUsed: () => script.used,
  };
}

function answer(res: ServerResponse, model: string, turn: ScriptedTurn, stream: boolean): void {
  const parts: Record<string, unknown>[] = [];
  if (turn.text) parts.push({ text: turn.text });
  for (const call of turn.toolCalls ?? []) {
    if (typeof call.input === 'string') throw new Error('Gemini function arguments are JSON objects');
    parts.push({ functionCall: { name: call.name, args: call.input } });
  }
  const usageMetadata = { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 };
  const chunk = (p: Record<string, unknown>[], last: boolean) => ({
    candidates: [
      { content: { role: 'model', parts: p }, index: 0, ...(last ? { finishReason: 'STOP' } : {}) },
    ],
    usageMetadata,
    modelVersion: model,
  });
  if (!stream) {
    sendJson(res, 200, chunk(parts, true));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // One part a chunk, the last one with the finish reason.
  parts.forEach((part, i) => {
    res.write(`data: ${JSON.stringify(chunk([part], i === parts.length - 1))}\r\n\r\n`);
  });
  if (parts.length === 0) res.write(`data: ${JSON.stringify(chunk([], true))}\r\n\r\n`);
  res.end();
}

/** The text of every user turn in a Gemini request. */
export function geminiUserTexts(req: RecordedRequest): string[] {
  const out: string[] = [];
  for (const c of (req.body as GenerateBody | undefined)?.contents ?? []) {
    if (c.role !== 'user') continue;
    for (const p of c.parts ?? []) if (p.text) out.push(p.text);
  }
  return out;
}
