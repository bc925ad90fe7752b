// POST /v1/responses beyond the matrix: the stream is framed exactly like OpenAI's own
// recorded Responses stream, requests translate into the chat hub as documented, refused
// parameters answer a 400 naming the parameter (the openai SDK's BadRequestError), and an
// upstream failure inside a stream arrives as OpenAI's `error` event.
import OpenAI, { BadRequestError } from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ChunksToResponseEvents } from '../../daemon/api/openai/responses-output.js';
import { responsesToChat } from '../../daemon/api/openai/responses-request.js';
import { isGatewayError } from '../../shared/errors.js';
import type { ResponsesRequest } from '../../shared/schemas/responses.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startReplayUpstream, type ReplayResponse, type ReplayUpstream } from '../support/replay-upstream.js';
import { type NamedSseEvent, chunkLines, exchange, parseNamedEvents, recordedReplay, responseBytes } from './fixtures.js';

let upstream: ReplayUpstream | undefined;
let gateway: TestGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
  gateway = upstream = undefined;
});

async function start(responses: ReplayResponse[]): Promise<OpenAI> {
  upstream = await startReplayUpstream(responses);
  gateway = await startGateway({
    config: {
      providers: [{ id: 'up', type: 'openai', base_url: `${upstream.origin}/v1`, api_key: { env: 'UP_KEY' } }],
      models: [{ name: 'gpt-4o-mini', provider: 'up', model: 'gpt-4o-mini', capabilities: { chat: true, tools: true, json_mode: true, vision: true }, price: { input_per_1m: 0.15, output_per_1m: 0.6 } }],
    },
    env: { UP_KEY: 'sk-upstream' },
  });
  return new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
}

/** The event names with runs of deltas collapsed, each event's field names and its item's. */
function shape(events: NamedSseEvent[]): { event: string; keys: string[]; item: string[] }[] {
  const out: { event: string; keys: string[]; item: string[] }[] = [];
  for (const { event, data } of events) {
    if (out.at(-1)?.event === event && event.endsWith('.delta')) continue;
    // obfuscation is OpenAI's padding.
    out.push({ event, keys: Object.keys(data).filter((key) => key !== 'obfuscation').sort(), item: Object.keys((data['item'] as object | undefined) ?? {}).sort() });
  }
  return out;
}

describe('POST /v1/responses streaming', () => {
  it('frames a streamed answer exactly like OpenAI’s recorded Responses stream', async () => {
    // Upstream: OpenAI chat completions streaming "The capital of the UK is London." (recorded).
    await start([recordedReplay('openai', 'chat-stream-tool-roundtrip', 1)]);
    const response = await fetch(`${gateway?.baseURL}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway?.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', instructions: 'You are a helpful assistant.', input: 'What is the capital of the UK?', stream: true, store: false }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const ours = parseNamedEvents(await response.text());
    const recorded = parseNamedEvents(responseBytes('openai', exchange('openai', 'responses-stream-text')).toString('utf8'));

    expect(shape(ours)).toEqual(shape(recorded));
    for (const { event, data } of ours) expect(data['type']).toBe(event);
    expect(ours.map(({ data }) => data['sequence_number'])).toEqual(ours.map((_, i) => i));
    // Same response object fields as OpenAI's, in created and completed.
    const responseKeys = (events: NamedSseEvent[], type: string) => Object.keys(events.find((e) => e.event === type)?.data['response'] as object).sort();
    for (const type of ['response.created', 'response.completed']) expect(responseKeys(ours, type)).toEqual(responseKeys(recorded, type).filter((key) => key !== 'service_tier' && key !== 'top_logprobs' && key !== 'presence_penalty' && key !== 'frequency_penalty' && key !== 'prompt_cache_key' && key !== 'prompt_cache_retention' && key !== 'safety_identifier'));

    const completed = ours.at(-1)?.data['response'] as { status: string; store: boolean; instructions: string; output: { content: { text: string }[] }[]; usage: Record<string, unknown> };
    expect(completed).toMatchObject({ status: 'completed', store: false, instructions: 'You are a helpful assistant.' });
    expect(completed.output[0]?.content[0]?.text).toBe('The capital of the UK is London.');
    expect(completed.usage).toEqual({ input_tokens: 78, input_tokens_details: { cached_tokens: 0 }, output_tokens: 9, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 87 });
    // The upstream got a chat request with the instructions as the system message and usage asked for.
    expect(upstream?.received[0]?.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [{ role: 'system', content: 'You are a helpful assistant.' }, { role: 'user', content: 'What is the capital of the UK?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(gateway?.auditRows()[0]).toMatchObject({ api: 'openai.responses', stream: true, prompt_tokens: 78, completion_tokens: 9, status: 200 });
  });

  it('frames a streamed tool call exactly like the recorded Azure OpenAI Responses tool-call stream', async () => {
    // Upstream: OpenAI chat completions streaming a get_capital call (recorded).
    await start([recordedReplay('openai', 'chat-stream-tool-roundtrip', 0)]);
    const response = await fetch(`${gateway?.baseURL}/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gateway?.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', input: 'Capital of the UK?', stream: true, store: false, tools: [{ type: 'function', name: 'get_capital', parameters: { type: 'object', properties: { country: { type: 'string' } } } }] }),
    });
    const ours = parseNamedEvents(await response.text());
    const recorded = chunkLines('azure', 'azure-tool-call.1.chunks.txt').map((line) => {
      const data = JSON.parse(line) as Record<string, unknown>;
      return { event: String(data['type']), data };
    });
    expect(shape(ours)).toEqual(shape(recorded));
    const done = ours.find((e) => e.event === 'response.output_item.done')?.data['item'];
    expect(done).toMatchObject({ type: 'function_call', status: 'completed', call_id: 'call_ZR5UUuTt3pf61kjwAJIYdVMj', name: 'get_capital', arguments: '{"country":"UK"}' });
  });

  it('sends an upstream failure inside the stream as OpenAI’s error event, which the SDK raises', async () => {
    // OpenRouter's recorded 200 stream that ends with {"error":{"code":400,"message":"Token limit reached"}}.
    const client = await start([recordedReplay('openai-compatible', 'openrouter-stream-error')]);
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', stream: true, store: false });
    const types: string[] = [];
    await expect(
      (async () => {
        for await (const event of stream) types.push(event.type);
      })(),
    ).rejects.toThrow(/Token limit reached/);
    expect(types.slice(0, 2)).toEqual(['response.created', 'response.in_progress']);
    const row = gateway?.auditRows()[0];
    expect(row?.api).toBe('openai.responses');
    expect(row?.error_code).not.toBeNull();
  });

  it('streams OpenRouter’s recorded reasoning as a reasoning item before the answer, with reasoning tokens in usage', async () => {
    const client = await start([recordedReplay('openai-compatible', 'openrouter-stream-reasoning')]);
    const final = await client.responses.stream({ model: 'gpt-4o-mini', input: 'What is 2+2?', store: false }).finalResponse();
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(final.output[0]).toMatchObject({ type: 'reasoning', content: [{ type: 'reasoning_text', text: 'This is a simple arithmetic question. 2+2 equals 4.' }] });
    expect(final.output_text).toBe('2 + 2 = 4');
    expect(final.usage).toMatchObject({ input_tokens: 43, output_tokens: 36, output_tokens_details: { reasoning_tokens: 13 } });
  });
});

describe('POST /v1/responses requests', () => {
  it('translates input items, function tools, text.format and limits into the chat request', async () => {
    const client = await start([recordedReplay('openai', 'chat-tool-roundtrip', 1)]);
    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false };
    const answer = await client.responses.create({
      model: 'gpt-4o-mini',
      store: false,
      instructions: 'Be brief.',
      max_output_tokens: 300,
      temperature: 0.2,
      reasoning: { effort: 'low' },
      text: { format: { type: 'json_schema', name: 'city', schema, strict: true } },
      tools: [{ type: 'function', name: 'get_user_country', description: 'Where the user is', parameters: { type: 'object', properties: {} }, strict: false }],
      tool_choice: { type: 'function', name: 'get_user_country' },
      include: ['reasoning.encrypted_content'],
      input: [
        { role: 'developer', content: 'Answer in JSON.' },
        { role: 'user', content: [{ type: 'input_text', text: 'Largest city?' }, { type: 'input_image', image_url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' }] },
        { type: 'function_call', call_id: 'call_1', name: 'get_user_country', arguments: '{}' },
        { type: 'function_call_output', call_id: 'call_1', output: 'Mexico' },
      ],
    });
    expect(upstream?.received[0]?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'system', content: 'Answer in JSON.' },
        { role: 'user', content: [{ type: 'text', text: 'Largest city?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'low' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_user_country', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: 'Mexico' },
      ],
      max_completion_tokens: 300,
      temperature: 0.2,
      reasoning_effort: 'low',
      response_format: { type: 'json_schema', json_schema: { name: 'city', schema, strict: true } },
      tools: [{ type: 'function', function: { name: 'get_user_country', description: 'Where the user is', parameters: { type: 'object', properties: {} }, strict: false } }],
      tool_choice: { type: 'function', function: { name: 'get_user_country' } },
    });
    // The recorded answer is a final_result tool call: a function_call output item.
    expect(answer.output).toEqual([
      { id: expect.stringMatching(/^fc_/), type: 'function_call', status: 'completed', call_id: 'call_gmD2oUZUzSoCkmNmp3JPUF7R', name: 'final_result', arguments: '{"city": "Mexico City", "country": "Mexico"}' },
    ]);
    expect(answer).toMatchObject({ object: 'response', status: 'completed', store: false, max_output_tokens: 300, model: 'gpt-4o-2024-08-06', usage: { input_tokens: 89, output_tokens: 36, total_tokens: 125 } });
    expect(answer.id).toMatch(/^resp_/);
  });

  it('asks for JSON mode with text.format json_object', () => {
    expect(responsesToChat({ model: 'm', input: 'hi', text: { format: { type: 'json_object' } } } as ResponsesRequest)).toMatchObject({ response_format: { type: 'json_object' } });
    expect(responsesToChat({ model: 'm', input: 'hi', text: { format: { type: 'text' } } } as ResponsesRequest)).not.toHaveProperty('response_format');
  });

  const refused: [string, Record<string, unknown>, string][] = [
    ['store: true', { store: true }, 'store'],
    ['previous_response_id', { previous_response_id: 'resp_123' }, 'previous_response_id'],
    ['conversation', { conversation: 'conv_1' }, 'conversation'],
    ['background', { background: true }, 'background'],
    ['a built-in tool', { tools: [{ type: 'web_search' }] }, 'tools[0].type'],
    ['an unsupported include', { include: ['reasoning.encrypted_content', 'file_search_call.results'] }, 'include[1]'],
    ['an item reference', { input: [{ type: 'item_reference', id: 'msg_1' }] }, 'input[0].type'],
    ['a built-in tool call item', { input: [{ type: 'web_search_call', id: 'ws_1' }] }, 'input[0].type'],
    ['an uploaded file id', { input: [{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }] }, 'input[0].content[0].file_id'],
    ["truncation: 'auto'", { truncation: 'auto' }, 'truncation'],
  ];
  for (const [name, fields, param] of refused) {
    it(`refuses ${name} with a 400 naming ${param}, before anything is sent upstream`, async () => {
      const client = await start([]);
      const error = await client.responses.create({ model: 'gpt-4o-mini', input: 'hi', ...fields } as OpenAI.Responses.ResponseCreateParamsNonStreaming).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BadRequestError);
      expect(error).toMatchObject({ status: 400, param, type: 'invalid_request_error', code: 'unsupported_feature' });
      expect(upstream?.received).toHaveLength(0);
    });
  }

  it('refuses a body without input with the schema error naming input', async () => {
    const client = await start([]);
    await expect(client.responses.create({ model: 'gpt-4o-mini' } as OpenAI.Responses.ResponseCreateParamsNonStreaming)).rejects.toMatchObject({ status: 400, param: 'input' });
  });

  it('passes an upstream 400 through in OpenAI’s error shape', async () => {
    const client = await start([recordedReplay('openai', 'error-400-unsupported-value')]);
    await expect(client.responses.create({ model: 'gpt-4o-mini', input: 'hi' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/does not support 'system'/) });
    expect(gateway?.auditRows()[0]).toMatchObject({ api: 'openai.responses', status: 400 });
  });
});

describe('ChunksToResponseEvents', () => {
  const req = { model: 'm', input: 'hi', max_output_tokens: 5 } as ResponsesRequest;
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ id: 'c', model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] });

  it('ends with response.incomplete (max_output_tokens) when the answer was cut by the limit', () => {
    const translator = new ChunksToResponseEvents(req);
    const events = [...translator.push(chunk({ content: 'Hel' })), ...translator.push(chunk({ content: 'lo' }, 'length')), ...translator.finish()];
    const last = events.at(-1);
    expect(last?.event).toBe('response.incomplete');
    expect(last?.data['response']).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('gives reasoning its own item with reasoning_text, before the message', () => {
    const translator = new ChunksToResponseEvents(req);
    const events = [...translator.push(chunk({ reasoning_content: 'think' })), ...translator.push(chunk({ content: 'answer' }, 'stop')), ...translator.finish()];
    const output = (events.at(-1)?.data['response'] as { output: { type: string }[] }).output;
    expect(output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(events.map((e) => e.event)).toContain('response.reasoning_text.delta');
  });

  it('keeps interleaved parallel tool-call fragments with their own call', () => {
    const translator = new ChunksToResponseEvents(req);
    const call = (index: number, extra: Record<string, unknown>) => chunk({ tool_calls: [{ index, ...extra }] });
    const events = [
      ...translator.push(call(0, { id: 'a', function: { name: 'f', arguments: '{"x":' } })),
      ...translator.push(call(1, { id: 'b', function: { name: 'g', arguments: '{"y":' } })),
      ...translator.push(call(0, { function: { arguments: '1}' } })),
      ...translator.push(call(1, { function: { arguments: '2}' } })),
      ...translator.finish(),
    ];
    const output = (events.at(-1)?.data['response'] as { output: { call_id: string; arguments: string }[] }).output;
    expect(output.map((item) => [item.call_id, item.arguments])).toEqual([
      ['a', '{"x":1}'],
      ['b', '{"y":2}'],
    ]);
  });

  it('refuses unknown content parts naming the part', () => {
    let thrown: unknown;
    try {
      responsesToChat({ model: 'm', input: [{ role: 'user', content: [{ type: 'input_audio' }] }] } as unknown as ResponsesRequest);
    } catch (error) {
      thrown = error;
    }
    expect(isGatewayError(thrown) && thrown.param).toBe('input[0].content[0].type');
  });
});
