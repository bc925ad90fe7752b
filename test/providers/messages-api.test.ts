// POST /v1/messages (Anthropic-compatible) beyond the matrix, and GET /v1/models in both
// styles: the stream is framed like Anthropic's own recorded stream, the request translates
// into the chat hub as documented, every error reaches the Anthropic SDK as its own typed
// error (Anthropic's error body), and a failure inside a stream arrives as an `error` event.
import Anthropic, { AuthenticationError, BadRequestError } from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startReplayUpstream, type ReplayResponse, type ReplayUpstream } from '../support/replay-upstream.js';
import { type NamedSseEvent, exchange, parseNamedEvents, recordedReplay, responseBytes } from './fixtures.js';

let upstream: ReplayUpstream | undefined;
let gateway: TestGateway | undefined;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
  gateway = upstream = undefined;
});

/** A gateway with an OpenAI-compatible and an Anthropic upstream behind one replay server. */
async function start(responses: ReplayResponse[]): Promise<Anthropic> {
  upstream = await startReplayUpstream(responses);
  gateway = await startGateway({
    config: {
      providers: [
        { id: 'oai', type: 'openai', base_url: `${upstream.origin}/v1`, api_key: { env: 'UP_KEY' } },
        { id: 'ant', type: 'anthropic', base_url: `${upstream.origin}/v1`, api_key: { env: 'UP_KEY' } },
      ],
      models: [
        { name: 'gpt-4o-mini', provider: 'oai', model: 'gpt-4o-mini', capabilities: { chat: true, tools: true, vision: true } },
        { name: 'claude-sonnet-4-5', provider: 'ant', model: 'claude-sonnet-4-5', capabilities: { chat: true, tools: true, vision: true } },
      ],
    },
    env: { UP_KEY: 'sk-upstream' },
  });
  return new Anthropic({ apiKey: gateway.apiKey, baseURL: gateway.origin, maxRetries: 0 });
}

function shape(events: NamedSseEvent[]): { event: string; keys: string[] }[] {
  return events.filter(({ event }) => event !== 'ping').map(({ event, data }) => ({ event, keys: Object.keys(data).sort() }));
}

describe('POST /v1/messages', () => {
  it('frames a stream from an OpenAI upstream like Anthropic’s recorded stream', async () => {
    await start([recordedReplay('openai', 'chat-stream-tool-roundtrip', 1)]);
    const response = await fetch(`${gateway?.origin}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gateway?.apiKey ?? '', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'What is the capital of the UK?' }] }),
    });
    expect(response.status).toBe(200);
    const ours = parseNamedEvents(await response.text());
    const recorded = parseNamedEvents(responseBytes('anthropic', exchange('anthropic', 'messages-stream-text')).toString('utf8'));
    const collapse = (events: { event: string; keys: string[] }[]) => events.filter((e, i) => !(e.event === 'content_block_delta' && events[i - 1]?.event === 'content_block_delta'));
    expect(collapse(shape(ours))).toEqual(collapse(shape(recorded)));
    const delta = ours.find((e) => e.event === 'message_delta')?.data;
    expect(delta).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { input_tokens: 78, output_tokens: 9 } });
  });

  it('turns OpenRouter’s recorded streamed reasoning into a thinking block before the text', async () => {
    const client = await start([recordedReplay('openai-compatible', 'openrouter-stream-reasoning')]);
    const message = await client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 100, messages: [{ role: 'user', content: 'What is 2+2?' }] }).finalMessage();
    expect(message.content.map((block) => [block.type, block.type === 'thinking' ? block.thinking : block.type === 'text' ? block.text : ''])).toEqual([
      ['thinking', 'This is a simple arithmetic question. 2+2 equals 4.'],
      ['text', '2 + 2 = 4'],
    ]);
    expect(message.usage).toMatchObject({ input_tokens: 43, output_tokens: 36 });
  });

  it('translates system, images, tools, tool results, stop sequences and thinking into the chat request', async () => {
    const client = await start([recordedReplay('openai', 'chat-stream-tool-roundtrip', 1)]);
    const message = await client.messages
      .stream({
        model: 'gpt-4o-mini',
        max_tokens: 500,
        system: [{ type: 'text', text: 'Be brief.' }],
        stop_sequences: ['END'],
        temperature: 0.5,
        thinking: { type: 'enabled', budget_tokens: 1024 },
        tools: [{ name: 'get_capital', description: 'Capital of a country', input_schema: { type: 'object', properties: { country: { type: 'string' } } } }],
        tool_choice: { type: 'auto', disable_parallel_tool_use: true },
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Capital of the UK?' }, { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } }] },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_capital', input: { country: 'UK' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'London' }] },
        ],
      })
      .finalMessage();
    expect(message.content.map((block) => [block.type, block.type === 'text' ? block.text : ''])).toEqual([['text', 'The capital of the UK is London.']]);
    expect(upstream?.received[0]?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: [{ type: 'text', text: 'Capital of the UK?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] },
        { role: 'assistant', content: null, tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'get_capital', arguments: '{"country":"UK"}' } }] },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'London' },
      ],
      max_tokens: 500,
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.5,
      stop: ['END'],
      reasoning_effort: 'low',
      tools: [{ type: 'function', function: { name: 'get_capital', description: 'Capital of a country', parameters: { type: 'object', properties: { country: { type: 'string' } } } } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
    });
    expect(gateway?.auditRows()[0]).toMatchObject({ api: 'anthropic.messages', stream: true, prompt_tokens: 78, completion_tokens: 9 });
  });

  it('reports Anthropic prompt-cache reads and writes back to the Anthropic SDK, and counts both as prompt tokens in the audit row', async () => {
    // The recorded tool_use answer, with the cache usage a caching hit reports (the recording had none).
    const recorded = exchange('anthropic', 'messages-tool-roundtrip', 0);
    const body = { ...(recorded.response.body as Record<string, unknown>), usage: { input_tokens: 45, cache_creation_input_tokens: 100, cache_read_input_tokens: 300, output_tokens: 23 } };
    const client = await start([{ status: 200, headers: recorded.response.headers, body: Buffer.from(JSON.stringify(body)) }]);
    const message = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'What is the largest city in the user country?' }] });
    expect(message.usage).toMatchObject({ input_tokens: 45, cache_creation_input_tokens: 100, cache_read_input_tokens: 300, output_tokens: 23 });
    expect(gateway?.auditRows()[0]).toMatchObject({ prompt_tokens: 445, completion_tokens: 23, total_tokens: 468 });
  });

  it('accepts Authorization: Bearer as well as x-api-key', async () => {
    await start([recordedReplay('openai', 'chat-tool-roundtrip', 0)]);
    const bearer = new Anthropic({ authToken: gateway?.apiKey ?? '', apiKey: null, baseURL: gateway?.origin ?? '', maxRetries: 0 });
    const message = await bearer.messages.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.stop_reason).toBe('tool_use');
  });

  it('answers a bad key with Anthropic’s authentication_error', async () => {
    await start([]);
    const bad = new Anthropic({ apiKey: 'sk-kagami-not-a-real-key-000000000000', baseURL: gateway?.origin ?? '', maxRetries: 0 });
    const error = await bad.messages.create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).error).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('refuses server tools and missing max_tokens with invalid_request_error naming the field', async () => {
    const client = await start([]);
    const serverTool = await client.messages
      .create({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'web_search_20250305', name: 'web_search' }] })
      .catch((caught: unknown) => caught);
    expect(serverTool).toBeInstanceOf(BadRequestError);
    expect((serverTool as BadRequestError).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/^tools\[0\]\.type: /) } });
    const noMax = await fetch(`${gateway?.origin}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': gateway?.apiKey ?? '', 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(noMax.status).toBe(400);
    expect(await noMax.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/max_tokens/) } });
    expect(upstream?.received).toHaveLength(0);
  });

  it('passes Anthropic’s recorded 400 through as an invalid_request_error with its message', async () => {
    const client = await start([recordedReplay('anthropic', 'error-400-invalid-request')]);
    const error = await client.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', message: expect.stringMatching(/does not support effort level 'xhigh'/) } });
  });

  it('sends a failure inside the stream as an Anthropic error event, which the SDK raises', async () => {
    const client = await start([recordedReplay('openai-compatible', 'openrouter-stream-error')]);
    const stream = client.messages.stream({ model: 'gpt-4o-mini', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    await expect(stream.finalMessage()).rejects.toThrow(/Token limit reached/);
    expect(gateway?.auditRows()[0]?.error_code).not.toBeNull();
  });
});

describe('POST /v1/messages/count_tokens', () => {
  it('estimates the input tokens of a Messages request locally, for the models a key may use', async () => {
    const client = await start([]);
    const params = { model: 'claude-sonnet-4-5', system: 'Be brief.', messages: [{ role: 'user' as const, content: 'What is the capital of the UK?' }] };
    const small = await client.messages.countTokens(params);
    const large = await client.messages.countTokens({ ...params, messages: [{ role: 'user', content: 'What is the capital of the UK? '.repeat(50) }] });
    // o200k: "What is the capital of the UK?" is 8 tokens; each repeat adds them again.
    expect(small.input_tokens).toBeGreaterThan(8);
    expect(large.input_tokens - small.input_tokens).toBeGreaterThanOrEqual(49 * 8);
    expect(upstream?.received).toHaveLength(0);
    await expect(client.messages.countTokens({ ...params, model: 'nope' })).rejects.toMatchObject({ status: 404 });
    const { key } = gateway?.keyStore.create({ tenant: 'acme', user: 'bob', models: ['gpt-4o-mini'] }) ?? { key: '' };
    const restricted = new Anthropic({ apiKey: key, baseURL: gateway?.origin ?? '', maxRetries: 0 });
    await expect(restricted.messages.countTokens(params)).rejects.toMatchObject({ status: 403 });
  });
});

describe('GET /v1/models in both styles', () => {
  it('lists and retrieves models in Anthropic’s shape for the Anthropic SDK and in OpenAI’s for the openai SDK', async () => {
    const client = await start([]);
    const anthropicIds: string[] = [];
    for await (const model of client.models.list()) {
      expect(model).toMatchObject({ type: 'model', display_name: model.id, created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      anthropicIds.push(model.id);
    }
    expect(anthropicIds).toEqual(['gpt-4o-mini', 'claude-sonnet-4-5']);
    expect(await client.models.retrieve('claude-sonnet-4-5')).toMatchObject({ type: 'model', id: 'claude-sonnet-4-5', display_name: 'claude-sonnet-4-5' });
    await expect(client.models.retrieve('nope')).rejects.toMatchObject({ status: 404 });
    const openai = new OpenAI({ apiKey: gateway?.apiKey ?? '', baseURL: gateway?.baseURL ?? '', maxRetries: 0 });
    const page = await openai.models.list();
    expect(page.data.map((model) => [model.object, model.id, model.owned_by])).toEqual([
      ['model', 'gpt-4o-mini', 'oai'],
      ['model', 'claude-sonnet-4-5', 'ant'],
    ]);
  });

  it('shows a restricted key only its models, in Anthropic’s shape too', async () => {
    await start([]);
    const { key } = gateway?.keyStore.create({ tenant: 'acme', user: 'bob', models: ['claude-sonnet-4-5'] }) ?? { key: '' };
    const restricted = new Anthropic({ apiKey: key, baseURL: gateway?.origin ?? '', maxRetries: 0 });
    const page = await restricted.models.list();
    expect(page.data.map((model) => model.id)).toEqual(['claude-sonnet-4-5']);
    expect(page.has_more).toBe(false);
  });
});
