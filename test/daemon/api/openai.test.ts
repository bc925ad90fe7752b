// The OpenAI API surface end to end: the real daemon (buildApp + listen on port 0, real
// SQLite, KeyStore and AuditWriter) in front of the real mock upstream, driven by the
// official `openai` SDK. Every error status the issue names is produced for real.
import OpenAI, { type APIError } from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import { startGateway, type TestGateway } from '../../support/gateway.js';

let upstream: MockUpstream;
let gateway: TestGateway;
let client: OpenAI;

async function start(timeouts: Record<string, number> = {}): Promise<void> {
  gateway = await startGateway({
    config: {
      providers: [{ id: 'sim', type: 'openai', base_url: upstream.url, timeouts }],
      models: [
        { name: 'chat-model', provider: 'sim', model: 'upstream-chat', capabilities: { chat: true, completions: true, tools: true, json_mode: true }, price: { input_per_1m: 1, output_per_1m: 2 } },
        { name: 'embed-model', provider: 'sim', model: 'upstream-embed', capabilities: { chat: false, embeddings: true } },
      ],
    },
  });
  client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
}

beforeEach(async () => {
  upstream = await startMockUpstream({ reply: 'The capital of the UK is London.' });
});

afterEach(async () => {
  await gateway?.close();
  await upstream.close();
});

const messages = [{ role: 'user' as const, content: 'What is the capital of the UK?' }];

describe('POST /v1/chat/completions', () => {
  it('answers a non-streaming chat and names the provider, endpoint and upstream model in headers', async () => {
    await start();
    const { data, response } = await client.chat.completions.create({ model: 'chat-model', messages, seed: 7, n: 1 }).withResponse();
    expect(data.choices[0]?.message.content).toBe('The capital of the UK is London.');
    expect(response.headers.get('x-kagami-provider')).toBe('sim');
    expect(response.headers.get('x-kagami-endpoint')).toBe('chat-model');
    expect(response.headers.get('x-kagami-upstream-model')).toBe('upstream-chat');
    expect(response.headers.get('x-kagami-trace-id')).toMatch(/^[0-9a-f]{32}$/);
    expect(response.headers.get('traceparent')).toMatch(new RegExp(`^00-${response.headers.get('x-kagami-trace-id')}-[0-9a-f]{16}-01$`));
    // The upstream got the client's fields untouched, with the upstream model substituted.
    const sent = upstream.stats.recent.at(-1)?.body as Record<string, unknown>;
    expect(sent).toEqual({ model: 'upstream-chat', messages, seed: 7, n: 1 });
  });

  it('passes every request field through untouched, unknown future ones too; only model is substituted', async () => {
    await start();
    const fields = {
      messages,
      tools: [{ type: 'function' as const, function: { name: 'lookup', description: 'd', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }],
      tool_choice: 'none' as const,
      parallel_tool_calls: false,
      response_format: { type: 'json_schema' as const, json_schema: { name: 'answer', schema: { type: 'object' }, strict: true } },
      n: 2,
      logprobs: true,
      top_logprobs: 3,
      seed: 42,
      temperature: 0.3,
      top_p: 0.9,
      stop: ['\n\n'],
      max_completion_tokens: 64,
      presence_penalty: 0.1,
      frequency_penalty: 0.2,
      logit_bias: { '50256': -100 },
      user: 'ana@example.invalid',
      metadata: { ticket: 'T-1' },
      service_tier: 'default' as const,
    };
    await client.chat.completions.create({ model: 'chat-model', ...fields, future_field: { nested: [1, 'two', null] } } as never);
    const sent = upstream.stats.recent.at(-1)?.body as Record<string, unknown>;
    expect(sent).toEqual({ model: 'upstream-chat', ...fields, future_field: { nested: [1, 'two', null] } });
  });

  it('streams with OpenAI framing and include_usage, and audits tokens and hashes before [DONE]', async () => {
    await start();
    const stream = await client.chat.completions.create({ model: 'chat-model', messages, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe('The capital of the UK is London.');
    expect(usage?.total_tokens).toBeGreaterThan(0);
    const [row] = gateway.auditRows();
    expect(row).toMatchObject({ status: 200, stream: true, tenant: 'acme', user: 'alice', requested_model: 'chat-model', provider: 'sim', upstream_model: 'upstream-chat', error_code: null });
    expect(row?.total_tokens).toBe(usage?.total_tokens);
    expect(row?.cost_usd).toBeCloseTo(((usage?.prompt_tokens ?? 0) * 1 + (usage?.completion_tokens ?? 0) * 2) / 1e6, 12);
    expect(row?.request_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(row?.latency_ms).toBeGreaterThanOrEqual(row?.gateway_ms ?? Infinity);
  });

  it('hashes a streamed answer exactly like the same answer sent as JSON', async () => {
    await start();
    await client.chat.completions.create({ model: 'chat-model', messages });
    const stream = await client.chat.completions.create({ model: 'chat-model', messages, stream: true });
    for await (const _chunk of stream) {
      // drain
    }
    const [json, streamed] = gateway.auditRows();
    expect(json?.response_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(streamed?.response_sha256).toBe(json?.response_sha256);
    expect(streamed?.request_sha256).toBe(json?.request_sha256);
  });

  it('passes a tool round trip through: the call, then the tool result, then the answer (JSON and stream)', async () => {
    await start();
    const tools = [{ type: 'function' as const, function: { name: 'get_capital', parameters: { type: 'object', properties: { country: { type: 'string' } } } } }];
    const answer = await client.chat.completions.create({ model: 'chat-model', messages, tools, tool_choice: 'auto' });
    const call = answer.choices[0]?.message.tool_calls?.[0];
    expect(answer.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ type: 'function', function: { name: 'get_capital' } });
    expect((upstream.stats.recent.at(-1)?.body as Record<string, unknown>).tools).toEqual(tools);
    if (call?.type !== 'function') throw new Error('expected a function tool call');

    const followUp = [
      ...messages,
      answer.choices[0]!.message,
      { role: 'tool' as const, tool_call_id: call.id, content: '{"capital":"London"}' },
    ];
    const final = await client.chat.completions.create({ model: 'chat-model', messages: followUp, tools });
    expect(final.choices[0]?.message.content).toBe('The capital of the UK is London.');
    expect((upstream.stats.recent.at(-1)?.body as { messages: unknown[] }).messages).toEqual(JSON.parse(JSON.stringify(followUp)));

    // The same call streamed: the SDK's stream helper reassembles the tool call from the chunks.
    const streamed = await client.chat.completions.stream({ model: 'chat-model', messages, tools }).finalChatCompletion();
    expect(streamed.choices[0]?.message.tool_calls?.[0]).toMatchObject({ type: 'function', function: { name: 'get_capital', arguments: call.function.arguments } });
  });
});

describe('POST /v1/completions', () => {
  it('answers legacy completions, streaming and not', async () => {
    await start();
    const answer = await client.completions.create({ model: 'chat-model', prompt: 'Say hi' });
    expect(answer.choices[0]?.text).toBe('The capital of the UK is London.');
    const stream = await client.completions.create({ model: 'chat-model', prompt: 'Say hi', stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe('The capital of the UK is London.');
    expect(gateway.auditRows().map((row) => row.api)).toEqual(['openai.completions', 'openai.completions']);
  });
});

describe('POST /v1/embeddings', () => {
  it('returns embeddings', async () => {
    await start();
    const result = await client.embeddings.create({ model: 'embed-model', input: ['a', 'b'] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it('refuses a model not configured for embeddings', async () => {
    await start();
    await expect(client.embeddings.create({ model: 'chat-model', input: 'a' })).rejects.toMatchObject({ status: 400, code: 'capability_missing', param: 'model' });
  });
});

describe('GET /v1/models', () => {
  it('lists the configured model aliases in OpenAI list shape', async () => {
    await start();
    const ids: string[] = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(['chat-model', 'embed-model']);
    expect(await client.models.retrieve('chat-model')).toMatchObject({ id: 'chat-model', object: 'model', owned_by: 'sim' });
  });

  it('lists only the models a restricted key may use', async () => {
    await start();
    const { key } = gateway.keyStore.create({ tenant: 'acme', user: 'bob', models: ['embed-model'] });
    const restricted = new OpenAI({ apiKey: key, baseURL: gateway.baseURL, maxRetries: 0 });
    const page = await restricted.models.list();
    expect(page.data.map((model) => model.id)).toEqual(['embed-model']);
    await expect(restricted.chat.completions.create({ model: 'chat-model', messages })).rejects.toMatchObject({ status: 403, code: 'model_not_allowed' });
  });
});

describe('health probes', () => {
  it('answers /healthz and /readyz without a key', async () => {
    await start();
    expect((await fetch(`${gateway.origin}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${gateway.origin}/readyz`)).json()).toEqual({ status: 'ready' });
  });
});

describe('errors in OpenAI shape', () => {
  it('401 for an unknown key, with OpenAI wording', async () => {
    await start();
    const bad = new OpenAI({ apiKey: 'sk-kagami-not-a-real-key-000000000000', baseURL: gateway.baseURL, maxRetries: 0 });
    const error = await bad.chat.completions.create({ model: 'chat-model', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({ status: 401, code: 'invalid_api_key', type: 'authentication_error' });
    expect((error as Error).message).toContain('Incorrect API key provided');
    expect(upstream.stats.requests).toBe(0);
    const [row] = gateway.auditRows();
    expect(row).toMatchObject({ status: 401, error_code: 'invalid_api_key', tenant: null });
  });

  it('401 for a revoked key', async () => {
    await start();
    const { id, key } = gateway.keyStore.create({ tenant: 'acme', user: 'carol' });
    const carol = new OpenAI({ apiKey: key, baseURL: gateway.baseURL, maxRetries: 0 });
    await carol.chat.completions.create({ model: 'chat-model', messages });
    gateway.keyStore.revoke(id);
    await expect(carol.chat.completions.create({ model: 'chat-model', messages })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('401 without any key, x-api-key accepted instead of Authorization', async () => {
    await start();
    const body = JSON.stringify({ model: 'chat-model', messages });
    const none = await fetch(`${gateway.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: { message: string } }).error.message).toContain("You didn't provide an API key");
    const viaHeader = await fetch(`${gateway.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': gateway.apiKey }, body });
    expect(viaHeader.status).toBe(200);
  });

  it('404 model_not_found for an unknown model', async () => {
    await start();
    const error = await client.chat.completions.create({ model: 'gpt-nope', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect(error).toMatchObject({ code: 'model_not_found', param: 'model' });
  });

  it('400 naming the field for a bad field', async () => {
    await start();
    const error = await client.chat.completions.create({ model: 'chat-model', messages: 'hello' as never }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ code: 'invalid_request', param: 'messages' });
    const missing = await client.chat.completions.create({ model: 'chat-model' } as never).catch((e: unknown) => e);
    expect(missing).toMatchObject({ status: 400, param: 'messages' });
  });

  it('429 from the upstream passes through with its message and retry-after', async () => {
    await start();
    upstream.setFaults({ errorStatus: 429, errorRate: 1 });
    const error = await client.chat.completions.create({ model: 'chat-model', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as APIError).headers?.get('retry-after')).toBe('1');
    expect((error as Error).message).toContain('Simulated upstream error (status 429)');
    expect(gateway.auditRows()[0]).toMatchObject({ status: 429, error_code: 'upstream_rejected' });
  });

  it('502 when the upstream resets the connection', async () => {
    await start();
    upstream.setFaults({ reset: 'before-headers', resetRate: 1 });
    const error = await client.chat.completions.create({ model: 'chat-model', messages }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect(error).toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it('502 when the upstream answers 5xx', async () => {
    await start();
    upstream.setFaults({ errorStatus: 503, errorRate: 1 });
    await expect(client.chat.completions.create({ model: 'chat-model', messages })).rejects.toMatchObject({ status: 502, code: 'upstream_error' });
  });

  it('504 when the upstream stalls before the first byte', async () => {
    await start({ first_byte_ms: 150 });
    upstream.setFaults({ stall: 'before-headers', stallRate: 1 });
    const error = await client.chat.completions.create({ model: 'chat-model', messages }).catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 504, code: 'upstream_timeout' });
    expect((error as Error).message).toContain('first byte');
  });

  it('ends a stream whose upstream connection resets mid-stream with an error event (502 upstream_error)', async () => {
    // Chunks paced so the first ones reach the gateway (and the client) before the reset;
    // a reset before the first chunk is a plain 502 answer instead (tested above).
    upstream.setOptions({ chunkDelayMs: 50 });
    await start();
    upstream.setFaults({ reset: 'mid-stream', resetRate: 1 });
    const stream = await client.chat.completions.create({ model: 'chat-model', messages, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(seen.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(gateway.auditRows()[0]).toMatchObject({ status: 502, error_code: 'upstream_error', stream: true });
  });

  it('ends a stream that stalls between chunks with an error event (504 upstream_timeout)', async () => {
    await start({ idle_ms: 150 });
    upstream.setFaults({ stall: 'mid-stream', stallRate: 1 });
    const stream = await client.chat.completions.create({ model: 'chat-model', messages, stream: true });
    const seen: string[] = [];
    const error = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? '');
    })().catch((e: unknown) => e);
    expect(seen.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as Error).message).toContain('timed out');
    expect(gateway.auditRows()[0]).toMatchObject({ status: 504, error_code: 'upstream_timeout', stream: true });
  });
});

describe('client disconnect', () => {
  it('aborts the upstream request when the client gives up waiting for a non-streaming answer', async () => {
    await start();
    upstream.setFaults({ stall: 'before-headers', stallRate: 1 });
    const controller = new AbortController();
    const pending = client.chat.completions.create({ model: 'chat-model', messages }, { signal: controller.signal }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(upstream.stats.requests).toBe(1), { timeout: 5000, interval: 10 });
    controller.abort();
    expect(await pending).toBeInstanceOf(OpenAI.APIUserAbortError);
    await vi.waitFor(() => expect(upstream.stats.aborted).toBe(1), { timeout: 5000, interval: 10 });
    await vi.waitFor(() => expect(gateway.auditRows()[0]).toMatchObject({ error_code: 'client_disconnected', status: 499, stream: false }), { timeout: 5000, interval: 10 });
  });

  it('aborts the upstream request when the client goes away mid-stream', async () => {
    upstream.setOptions({ chunkDelayMs: 20, chunkCount: 50 });
    await start();
    const controller = new AbortController();
    const stream = await client.chat.completions.create({ model: 'chat-model', messages, stream: true }, { signal: controller.signal });
    const done = (async () => {
      for await (const _chunk of stream) controller.abort();
    })().catch(() => undefined);
    await done;
    await vi.waitFor(() => expect(upstream.stats.aborted).toBe(1), { timeout: 5000, interval: 10 });
    expect(upstream.stats.completed).toBe(0);
    await vi.waitFor(() => expect(gateway.auditRows()[0]).toMatchObject({ error_code: 'client_disconnected', status: 499 }), { timeout: 5000, interval: 10 });
  });
});
