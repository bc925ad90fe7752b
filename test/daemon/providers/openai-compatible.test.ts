// OpenAI-compatible adapters against replayed real traffic (/work/shared/fixtures): requests
// reach the upstream byte for byte as the client sent them, streamed answers reach the client
// byte for byte as the provider framed them (also when the upstream bytes arrive in odd
// pieces), and each provider's quirks (Azure deployment URLs, api-key, filter chunks) apply.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../support/gateway.js';
import { startReplayUpstream, type ReplayResponse, type ReplayUpstream } from '../../support/replay-upstream.js';

const FIXTURES = process.env.KAGAMI_FIXTURES ?? '/work/shared/fixtures';

interface Interaction {
  request: { url: string; body: Record<string, unknown> };
  response: { status: number; headers: Record<string, string>; body?: unknown; bodyFile?: string };
}

function interactions(provider: string, name: string): Interaction[] {
  return (JSON.parse(readFileSync(join(FIXTURES, provider, 'wire', `${name}.json`), 'utf8')) as { interactions: Interaction[] }).interactions;
}

function replayOf(provider: string, interaction: Interaction, pieces?: number[]): ReplayResponse {
  const body =
    interaction.response.bodyFile !== undefined
      ? readFileSync(join(FIXTURES, provider, 'wire', interaction.response.bodyFile))
      : Buffer.from(JSON.stringify(interaction.response.body));
  return { status: interaction.response.status, headers: interaction.response.headers, body, ...(pieces ? { pieces } : {}) };
}

let upstream: ReplayUpstream;
let gateway: TestGateway;

afterEach(async () => {
  await gateway?.close();
  await upstream?.close();
});

async function start(
  type: string,
  responses: ReplayResponse[],
  models: Record<string, unknown>[],
  options: Record<string, unknown> = {},
  basePath = '/v1',
  extraConfig: Record<string, unknown> = {},
): Promise<void> {
  upstream = await startReplayUpstream(responses);
  gateway = await startGateway({
    config: {
      ...extraConfig,
      providers: [{ id: 'up', type, base_url: `${upstream.origin}${basePath}`, api_key: { env: 'UP_KEY' }, options }],
      models: models.map((model) => ({ provider: 'up', capabilities: { chat: true, tools: true }, ...model })),
    },
    env: { UP_KEY: 'sk-upstream-secret' },
  });
}

function postRaw(body: string): Promise<Response> {
  return fetch(`${gateway.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${gateway.apiKey}` },
    body,
  });
}

describe('openai: recorded tool round trips', () => {
  const recorded = interactions('openai', 'chat-stream-tool-roundtrip');

  it('streams a tool call and the answer through the openai SDK, forwarding the requests untouched', async () => {
    await start('openai', recorded.map((interaction) => replayOf('openai', interaction)), [{ name: 'gpt-4o-mini' }]);
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const first = recorded[0]?.request.body as unknown as OpenAI.ChatCompletionCreateParamsStreaming;
    let args = '';
    let name = '';
    for await (const chunk of await client.chat.completions.create(first)) {
      const call = chunk.choices[0]?.delta.tool_calls?.[0];
      name += call?.function?.name ?? '';
      args += call?.function?.arguments ?? '';
    }
    expect(name).toBe('get_capital');
    expect(JSON.parse(args)).toEqual({ country: 'UK' });

    const second = recorded[1]?.request.body as unknown as OpenAI.ChatCompletionCreateParamsStreaming;
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of await client.chat.completions.create(second)) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toContain('London');
    expect(usage?.total_tokens).toBeGreaterThan(0);

    expect(upstream.received.map((request) => request.body)).toEqual(recorded.map((interaction) => interaction.request.body));
    expect(upstream.received[0]?.url).toBe('/v1/chat/completions');
    expect(upstream.received[0]?.headers.authorization).toBe('Bearer sk-upstream-secret');
    const rows = gateway.auditRows();
    expect(rows.map((row) => row.total_tokens)).toEqual([expect.any(Number), usage?.total_tokens]);
  });

  // Redaction (on by default) may move text between chunks while it holds back a possible
  // PII tail, so byte-exactness of the framing is checked with redaction off.
  it('relays the recorded SSE bytes exactly, also when the upstream bytes arrive in odd pieces', async () => {
    const pieces = [[1], [2, 3, 5, 7, 11], [4096]];
    for (const split of pieces) {
      await start('openai', [replayOf('openai', recorded[1] as Interaction, split)], [{ name: 'gpt-4o-mini' }], {}, '/v1', { redaction: { enabled: false } });
      const sent = JSON.stringify(recorded[1]?.request.body);
      const response = await postRaw(sent);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(bytes.toString('utf8')).toBe(readFileSync(join(FIXTURES, 'openai', 'wire', recorded[1]?.response.bodyFile as string), 'utf8'));
      // The upstream got the client's bytes exactly.
      expect(upstream.received[0]?.raw.toString('utf8')).toBe(sent);
      await gateway.close();
      await upstream.close();
    }
    gateway = undefined as unknown as TestGateway;
    upstream = undefined as unknown as ReplayUpstream;
  });

  it('answers the non-streaming tool round trip with the recorded bodies', async () => {
    const exchange = interactions('openai', 'chat-tool-roundtrip');
    await start('openai', exchange.map((interaction) => replayOf('openai', interaction)), [{ name: 'gpt-4o' }, { name: 'gpt-4o-mini' }]);
    for (const interaction of exchange) {
      const response = await postRaw(JSON.stringify(interaction.request.body));
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual(interaction.response.body);
    }
    expect(upstream.received.map((request) => request.body)).toEqual(exchange.map((interaction) => interaction.request.body));
  });

  it('passes an upstream 400 through with its message and param', async () => {
    const [interaction] = interactions('openai', 'error-400-unsupported-value') as [Interaction];
    await start('openai', [replayOf('openai', interaction)], [{ name: String(interaction.request.body.model) }]);
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const error = await client.chat.completions.create(interaction.request.body as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'messages[0].role', code: 'upstream_rejected' });
    expect((error as Error).message).toContain("Unsupported value: 'messages[0].role' does not support 'system'");
  });
});

describe('openai-compatible upstreams', () => {
  it('ollama: replays the recorded tool round trip', async () => {
    const exchange = interactions('openai-compatible', 'ollama-chat-tool-roundtrip');
    await start('ollama', exchange.map((interaction) => replayOf('openai-compatible', interaction)), [{ name: String(exchange[0]?.request.body.model) }]);
    for (const interaction of exchange) {
      const response = await postRaw(JSON.stringify(interaction.request.body));
      expect(await response.json()).toEqual(interaction.response.body);
    }
    expect(upstream.received.map((request) => request.body)).toEqual(exchange.map((interaction) => interaction.request.body));
  });

  it('passes an upstream 429 through (OpenRouter) with status and message', async () => {
    const [interaction] = interactions('openai-compatible', 'openrouter-429') as [Interaction];
    await start('vllm', [replayOf('openai-compatible', interaction)], [{ name: String(interaction.request.body.model) }]);
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const error = await client.chat.completions.create(interaction.request.body as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as Error).message).toContain('Provider returned error');
  });

  it('ends the client stream with an error event when the upstream reports an error inside a 200 stream', async () => {
    const [interaction] = interactions('openai-compatible', 'openrouter-stream-error') as [Interaction];
    await start('vllm', [replayOf('openai-compatible', interaction)], [{ name: String(interaction.request.body.model) }]);
    const response = await postRaw(JSON.stringify(interaction.request.body));
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(text).not.toContain('OPENROUTER PROCESSING');
    expect(text).not.toContain('[DONE]');
    const events = text.trimEnd().split('\n\n');
    expect(events.length).toBeGreaterThan(1);
    expect(JSON.parse((events.at(-1) ?? '').replace(/^data: /, ''))).toEqual({
      error: { message: expect.stringContaining('Token limit reached'), type: 'server_error', param: null, code: 'upstream_error' },
    });
    expect(gateway.auditRows()[0]).toMatchObject({ status: 502, error_code: 'upstream_error', stream: true });
  });

  it('answers 502 JSON when the upstream stream fails before its first chunk', async () => {
    const [interaction] = interactions('openai-compatible', 'openrouter-stream-error') as [Interaction];
    // Only the recorded error event: nothing has reached the client, so a plain error answer.
    const errorEvent = replayOf('openai-compatible', interaction).body.toString('utf8').split('\n\n').find((event) => event.includes('"error"')) ?? '';
    await start('vllm', [{ status: 200, headers: { 'content-type': 'text/event-stream' }, body: Buffer.from(`${errorEvent}\n\n`) }], [
      { name: String(interaction.request.body.model) },
    ]);
    const response = await postRaw(JSON.stringify(interaction.request.body));
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: { message: expect.stringContaining('Token limit reached'), type: 'server_error', param: null, code: 'upstream_error' },
    });
  });
});

describe('azure-openai', () => {
  const lines = readFileSync(join(FIXTURES, 'azure', 'chunks', 'azure-model-router.1.chunks.txt'), 'utf8').split('\n').filter((line) => line.trim() !== '');
  const azureStream = Buffer.from(lines.map((line) => `data: ${line}\n\n`).join('') + 'data: [DONE]\n\n');

  it('calls the deployment URL with api-version and the api-key header, and hides the filter preamble', async () => {
    await start(
      'azure-openai',
      [{ status: 200, headers: { 'content-type': 'text/event-stream' }, body: azureStream }],
      [{ name: 'router', model: 'model-router' }],
      { api_version: '2025-01-01-preview', deployments: { 'model-router': 'my-router-deployment' } },
      '',
    );
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of await client.chat.completions.create({ model: 'router', messages: [{ role: 'user', content: 'Capital of Denmark?' }], stream: true, stream_options: { include_usage: true } })) {
      chunks.push(chunk);
    }
    const request = upstream.received[0];
    expect(request?.url).toBe('/openai/deployments/my-router-deployment/chat/completions?api-version=2025-01-01-preview');
    expect(request?.headers['api-key']).toBe('sk-upstream-secret');
    expect(request?.headers.authorization).toBeUndefined();
    // The first recorded chunk (object "", no choices, prompt_filter_results) is dropped. Response
    // redaction may merge content chunks (it holds a word back until it is complete), never the
    // role, finishing or usage chunks.
    expect(chunks.length).toBeLessThanOrEqual(lines.length - 1);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    expect(JSON.stringify(chunks)).not.toContain('content_filter_results');
    expect(JSON.stringify(chunks)).not.toContain('prompt_filter_results');
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('')).toBe('Capital of Denmark.');
    expect(chunks.at(-1)?.usage?.total_tokens).toBe(93);
  });
});
