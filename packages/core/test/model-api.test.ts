import { scriptedAnthropic, userTexts } from '@berth/testkit/model-api/anthropic';
import { geminiUserTexts, scriptedGemini } from '@berth/testkit/model-api/gemini';
import { inputTexts, scriptedResponses } from '@berth/testkit/model-api/openai-responses';
import { refusingProxy } from '@berth/testkit/model-api/refusing-proxy';
import { describe, expect, onTestFinished, test } from 'vitest';

/** The `data:` objects of an SSE body, in order. */
function events(text: string): { type: string; [k: string]: unknown }[] {
  return text
    .replaceAll('\r\n', '\n')
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const data = block.split('\n').find((l) => l.startsWith('data: '));
      return JSON.parse(data?.slice(6) ?? '{}');
    });
}

const tools = [{ name: 'Write', input_schema: { type: 'object' } }];

describe('scripted Anthropic Messages API', () => {
  test('streams a text and a tool_use turn, records the request and its key, then a text turn', async () => {
    const api = await scriptedAnthropic({
      turns: [
        {
          text: 'Writing.',
          toolCalls: [{ name: 'Write', input: { file_path: '/w/a.txt', content: 'a\n' } }],
        },
        { text: 'Done writing.' },
      ],
    });
    onTestFinished(() => api.close());
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const post = (body: unknown) =>
      fetch(`${api.url}/v1/messages?beta=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': 'sk-test' },
        body: JSON.stringify(body),
      });

    const first = await post({
      model: 'm',
      stream: true,
      tools,
      messages: [{ role: 'user', content: 'make a.txt' }],
    });
    expect(first.headers.get('content-type')).toContain('text/event-stream');
    const evs = events(await first.text());
    expect(evs.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      ...Array(3).fill('content_block_delta'),
      'content_block_stop',
      'content_block_start',
      ...evs
        .filter((e) => e.type === 'content_block_delta' && (e.index as number) === 1)
        .map(() => 'content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const json = evs
      .filter((e) => e.type === 'content_block_delta' && e.index === 1)
      .map((e) => (e.delta as { partial_json: string }).partial_json)
      .join('');
    expect(JSON.parse(json)).toEqual({ file_path: '/w/a.txt', content: 'a\n' });
    expect(evs.find((e) => e.type === 'message_delta')?.delta).toMatchObject({ stop_reason: 'tool_use' });

    // A side request without tools (a title) is answered but is not a turn.
    const side = await post({ model: 'm', messages: [{ role: 'user', content: 'title?' }] });
    expect(((await side.json()) as { content: { text: string }[] }).content[0]?.text).toBe('OK');
    const second = await post({
      model: 'm',
      stream: false,
      tools,
      messages: [{ role: 'user', content: 'next' }],
    });
    const message = (await second.json()) as { stop_reason: string; content: { text: string }[] };
    expect(message.stop_reason).toBe('end_turn');
    expect(message.content[0]?.text).toBe('Done writing.');

    expect(api.turnsUsed()).toBe(2);
    expect(api.conversation()).toHaveLength(2);
    expect(api.requests[0]?.headers['x-api-key']).toBe('sk-test');
    expect(userTexts(api.requests[0] ?? api.requests[1]!)).toEqual(['make a.txt']);
  });

  test('answers the probes and count_tokens, and 404s what it does not know', async () => {
    const api = await scriptedAnthropic({ turns: [] });
    onTestFinished(() => api.close());
    expect((await fetch(`${api.url}/`, { method: 'HEAD' })).status).toBe(200);
    expect(((await (await fetch(`${api.url}/v1/models`)).json()) as { data: unknown[] }).data).toHaveLength(
      1,
    );
    const count = await fetch(`${api.url}/v1/messages/count_tokens`, {
      method: 'POST',
      body: '{"messages":[]}',
    });
    expect(((await count.json()) as { input_tokens: number }).input_tokens).toBeGreaterThan(0);
    expect((await fetch(`${api.url}/v1/elsewhere`)).status).toBe(404);
    expect(api.requests.map((r) => r.method)).toEqual(['HEAD', 'GET', 'POST', 'GET']);
  });
});

describe('scripted OpenAI Responses API', () => {
  test('streams function calls and a freeform call, then text; side requests are not turns', async () => {
    const api = await scriptedResponses({
      turns: [
        {
          toolCalls: [
            { name: 'exec_command', input: { cmd: 'echo hi > a.txt' } },
            { name: 'exec', input: 'await tools.exec_command({cmd: "true"})' },
          ],
        },
        { text: 'All done.' },
      ],
    });
    onTestFinished(() => api.close());
    const post = (body: unknown) =>
      fetch(`${api.url}/v1/responses`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-o' },
        body: JSON.stringify(body),
      });
    const input = [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'make a.txt' }] }];

    const evs = events(await (await post({ model: 'm', stream: true, tools: [{}], input })).text());
    expect(evs[0]?.type).toBe('response.created');
    expect(evs.at(-1)?.type).toBe('response.completed');
    const done = evs.filter((e) => e.type === 'response.output_item.done').map((e) => e.item);
    expect(done).toMatchObject([
      { type: 'function_call', name: 'exec_command', arguments: '{"cmd":"echo hi > a.txt"}' },
      { type: 'custom_tool_call', name: 'exec', input: 'await tools.exec_command({cmd: "true"})' },
    ]);
    const args = evs
      .filter((e) => e.type === 'response.function_call_arguments.delta')
      .map((e) => e.delta)
      .join('');
    expect(args).toBe('{"cmd":"echo hi > a.txt"}');

    const title = (await (await post({ model: 'm', input })).json()) as {
      output: { content: { text: string }[] }[];
    };
    expect(title.output[0]?.content[0]?.text).toBe('Scripted task');
    // Codex's code mode offers its tools in an input item instead of `tools`.
    const codeMode = [{ type: 'additional_tools', tools: [] }, ...input];
    const last = (await (await post({ model: 'm', input: codeMode })).json()) as {
      status: string;
      output: { content: { text: string }[] }[];
    };
    expect(last.status).toBe('completed');
    expect(last.output[0]?.content[0]?.text).toBe('All done.');
    expect(api.turnsUsed()).toBe(2);
    expect(api.conversation()).toHaveLength(2);
    expect(api.requests[0]?.headers.authorization).toBe('Bearer sk-o');
    expect(inputTexts(api.requests[0]!)).toEqual(['make a.txt']);
  });
});

describe('scripted Gemini API', () => {
  test('streams text and function calls to requests that declare functions; others get side text', async () => {
    const api = await scriptedGemini({
      turns: [
        {
          text: 'Writing.',
          toolCalls: [{ name: 'write_file', input: { file_path: 'a.txt', content: 'a' } }],
        },
      ],
    });
    onTestFinished(() => api.close());
    const contents = [{ role: 'user', parts: [{ text: 'make a.txt' }] }];
    const streamed = await fetch(`${api.url}/v1beta/models/g:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'AIza-k' },
      body: JSON.stringify({ contents, tools: [{ functionDeclarations: [{ name: 'write_file' }] }] }),
    });
    const chunks = events(await streamed.text()) as unknown as {
      candidates: { content: { parts: unknown[] } }[];
    }[];
    expect(chunks.map((c) => c.candidates[0]?.content.parts[0])).toEqual([
      { text: 'Writing.' },
      { functionCall: { name: 'write_file', args: { file_path: 'a.txt', content: 'a' } } },
    ]);
    const side = await fetch(`${api.url}/v1beta/models/g:generateContent`, {
      method: 'POST',
      body: JSON.stringify({ contents }),
    });
    expect(
      ((await side.json()) as { candidates: { content: { parts: { text: string }[] } }[] }).candidates[0]
        ?.content.parts[0]?.text,
    ).toBe('OK');
    expect(api.turnsUsed()).toBe(1);
    expect(api.requests[0]?.headers['x-goog-api-key']).toBe('AIza-k');
    expect(geminiUserTexts(api.requests[0]!)).toEqual(['make a.txt']);
  });
});

describe('refusing proxy', () => {
  test('refuses CONNECT and plain requests and records where they went', async () => {
    const proxy = await refusingProxy();
    onTestFinished(() => proxy.close());
    const { request } = await import('node:http');
    const connect = await new Promise<number>((resolve, reject) => {
      const req = request(proxy.url, { method: 'CONNECT', path: 'telemetry.example:443' });
      req.on('connect', (res, socket) => {
        socket.destroy();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(connect).toBe(403);
    const plain = await new Promise<number>((resolve, reject) => {
      const req = request(proxy.url, { path: 'http://updates.example/latest' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(plain).toBe(403);
    expect(proxy.hosts()).toEqual(['telemetry.example', 'updates.example']);
  });
});
