import { request } from 'node:http';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startMockUpstream } from '../../../daemon/mock-upstream/server.js';
import type { MockUpstream, MockUpstreamOptions } from '../../../daemon/mock-upstream/server.js';

describe('mock upstream', () => {
  let upstream: MockUpstream | null = null;
  const start = async (options: MockUpstreamOptions = {}): Promise<{ upstream: MockUpstream; client: OpenAI }> => {
    upstream = await startMockUpstream(options);
    return { upstream, client: new OpenAI({ baseURL: upstream.url, apiKey: 'sk-test', maxRetries: 0 }) };
  };
  afterEach(async () => {
    await upstream?.close();
    upstream = null;
  });

  const post = (path: string, body: unknown): Promise<Response> =>
    fetch(`${upstream?.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  it('answers chat completions with OpenAI-shaped JSON and usage', async () => {
    const { client } = await start({ reply: 'Hi there friend' });
    const reply = await client.chat.completions.create({ model: 'gpt-x', messages: [{ role: 'user', content: 'hello' }] });
    expect(reply.object).toBe('chat.completion');
    expect(reply.model).toBe('gpt-x');
    expect(reply.choices[0]?.message).toMatchObject({ role: 'assistant', content: 'Hi there friend' });
    expect(reply.choices[0]?.finish_reason).toBe('stop');
    expect(reply.usage).toMatchObject({ completion_tokens: 3, total_tokens: (reply.usage?.prompt_tokens ?? 0) + 3 });
  });

  it('streams with OpenAI framing: role chunk, content, finish, usage chunk with include_usage, [DONE]', async () => {
    await start({ reply: 'one two three' });
    const response = await post('/chat/completions', {
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'x' }],
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const frames = (await response.text()).split('\n\n').filter((f) => f !== '');
    expect(frames.every((f) => f.startsWith('data: '))).toBe(true);
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)));
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '', refusal: null });
    expect(chunks.slice(1, 4).map((c) => c.choices[0].delta.content)).toEqual(['one', ' two', ' three']);
    expect(chunks[4].choices[0]).toMatchObject({ delta: {}, finish_reason: 'stop' });
    expect(chunks.slice(0, 5).every((c) => c.usage === null && c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[5]).toMatchObject({ choices: [], usage: { completion_tokens: 3 } });
  });

  it('splits replies by chunk count and size', async () => {
    const { client } = await start({ chunkCount: 4, chunkSize: 10 });
    const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] });
    const pieces: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    expect(pieces).toHaveLength(4);
    expect(pieces.every((p) => p.length === 10)).toBe(true);
  });

  it('makes a tool call when offered tools, and answers the tool result with text', async () => {
    const { client } = await start();
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' }, days: { type: 'integer' } } } },
      },
    ];
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Tokyo?' }];
    const first = await client.chat.completions.create({ model: 'm', messages, tools });
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe('tool_calls');
    expect(call?.type === 'function' && call.function.name).toBe('get_weather');
    expect(call?.type === 'function' && JSON.parse(call.function.arguments)).toEqual({ city: 'example', days: 1 });

    const stream = await client.chat.completions.create({ model: 'm', messages, tools, stream: true });
    let args = '';
    for await (const chunk of stream) args += chunk.choices[0]?.delta.tool_calls?.[0]?.function?.arguments ?? '';
    expect(JSON.parse(args)).toEqual({ city: 'example', days: 1 });

    const second = await client.chat.completions.create({
      model: 'm',
      tools,
      messages: [...messages, first.choices[0]!.message, { role: 'tool', tool_call_id: call!.id, content: '{"temp":21}' }],
    });
    expect(second.choices[0]?.message.content).toContain('Kagami simulator');
  });

  it('serves legacy completions, embeddings (float and base64) and the model list', async () => {
    const { client } = await start({ models: ['a', 'b'], embeddingDimensions: 8 });
    const completion = await client.completions.create({ model: 'm', prompt: 'Say hi' });
    expect(completion.object).toBe('text_completion');
    expect(completion.choices[0]?.text.length).toBeGreaterThan(0);
    const embedded = await client.embeddings.create({ model: 'e', input: ['alpha', 'beta'], encoding_format: 'float' });
    expect(embedded.data.map((d) => d.embedding.length)).toEqual([8, 8]);
    const again = await client.embeddings.create({ model: 'e', input: 'alpha', encoding_format: 'float' });
    expect(again.data[0]?.embedding).toEqual(embedded.data[0]?.embedding);
    const base64 = await client.embeddings.create({ model: 'e', input: 'alpha', dimensions: 16 }); // SDK default: base64
    expect(base64.data[0]?.embedding).toHaveLength(16);
    expect((await client.models.list()).data.map((m) => m.id)).toEqual(['a', 'b']);
  });

  it('echoes the last user message when asked to, and records what it received', async () => {
    const { client, upstream: server } = await start({ echo: true });
    const reply = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'repeat me' }] });
    expect(reply.choices[0]?.message.content).toBe('repeat me');
    expect(server.stats.recent.at(-1)).toMatchObject({ method: 'POST', path: '/v1/chat/completions', body: { model: 'm' } });
    expect(server.stats.recent.at(-1)?.headers.authorization).toBe('Bearer sk-test');
  });

  it('requires its API key when given one', async () => {
    const { client } = await start({ apiKey: 'sk-right' });
    await expect(client.models.list()).rejects.toMatchObject({ status: 401 });
  });

  it('injects errors at the configured rate and status', async () => {
    const { client, upstream: server } = await start({ faults: { errorRate: 0.5, errorStatus: 503 } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(await client.chat.completions.create({ model: 'm', messages: [] }).then(() => 200, (e: { status: number }) => e.status));
    }
    expect(statuses).toEqual([200, 503, 200, 503, 200, 503]);
    expect(server.stats.errors).toBe(3);
    server.setFaults({ errorRate: 1, errorStatus: 429 });
    const limited = await post('/chat/completions', { model: 'm', messages: [] });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(await limited.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
  });

  it('resets the connection before the headers or in the middle of a stream', async () => {
    const { upstream: server } = await start({ faults: { reset: 'before-headers' } });
    await expect(post('/chat/completions', { model: 'm', messages: [] })).rejects.toThrow(/fetch failed/);
    expect(server.stats.resets).toBe(1);

    server.setFaults({ reset: 'mid-stream' });
    const response = await post('/chat/completions', { model: 'm', stream: true, messages: [] });
    expect(response.status).toBe(200);
    await expect(response.text()).rejects.toThrow();
    expect(server.stats.resets).toBe(2);
    expect(server.stats.aborted).toBe(0); // the simulator hung up, not the client
  });

  it('sends the first half of a stream, then resets, even without a chunk delay', async () => {
    const { upstream: server } = await start({ reply: 'one two three four five six seven eight', faults: { reset: 'mid-stream' } });
    const { received, error } = await new Promise<{ received: string; error: Error | null }>((resolve) => {
      const req = request(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('error', (e) => resolve({ received: text, error: e }));
        res.on('end', () => resolve({ received: text, error: null }));
      });
      req.end(JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] }));
    });
    expect(error).not.toBeNull(); // cut off, no clean end
    const contents = [...received.matchAll(/"content":"([^"]*)"/g)].map((m) => m[1]);
    // 11 frames (role, 8 words, finish, [DONE]): the first 5 arrive, the rest never do.
    expect(contents).toEqual(['', 'one', ' two', ' three', ' four']);
    expect(received).not.toContain('[DONE]');
    expect(server.stats.resets).toBe(1);
  });

  it('with echo, cuts the echoed text into chunks of chunkSize characters', async () => {
    const { client } = await start({ echo: true, chunkSize: 4, chunkCount: 9 });
    const stream = await client.chat.completions.create({ model: 'm', stream: true, messages: [{ role: 'user', content: 'repeat me please' }] });
    const pieces: string[] = [];
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) pieces.push(chunk.choices[0].delta.content);
    expect(pieces).toEqual(['repe', 'at m', 'e pl', 'ease']);
  });

  it('stalls after the headers and counts the client giving up as aborted', async () => {
    const { upstream: server } = await start({ faults: { stall: 'after-headers' } });
    const controller = new AbortController();
    const response = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', stream: true, messages: [] }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(server.stats.stalls).toBe(1);
    controller.abort();
    await vi.waitFor(() => expect(server.stats.aborted).toBe(1));
    expect(server.stats.completed).toBe(0);
  });

  it('stalls before the headers: nothing arrives until the client closes', async () => {
    const { upstream: server } = await start({ faults: { stall: 'before-headers' } });
    let gotResponse = false;
    const req = request(`${server.url}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' } }, () => {
      gotResponse = true;
    });
    req.on('error', () => {});
    req.end(JSON.stringify({ model: 'm', messages: [] }));
    await vi.waitFor(() => expect(server.stats.stalls).toBe(1));
    req.destroy();
    await vi.waitFor(() => expect(server.stats.aborted).toBe(1));
    expect(gotResponse).toBe(false);
  });

  it('counts a client that disconnects mid-stream as aborted', async () => {
    const { client, upstream: server } = await start({ chunkCount: 50, chunkSize: 5, chunkDelayMs: 5 });
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: 'm', stream: true, messages: [{ role: 'user', content: 'x' }] },
      { signal: controller.signal },
    );
    let seen = 0;
    try {
      for await (const _chunk of stream) if (++seen === 3) controller.abort();
    } catch {
      // the SDK may end the iteration quietly or throw on abort; either way the client left
    }
    expect(seen).toBeLessThan(50);
    await vi.waitFor(() => expect(server.stats.aborted).toBe(1));
    expect(server.stats.completed).toBe(0);
  });

  it('rejects bad JSON and unknown paths with OpenAI error bodies', async () => {
    await start();
    const bad = await fetch(`${upstream?.url}/chat/completions`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { type: 'invalid_request_error' } });
    const missing = await post('/nowhere', {});
    expect(missing.status).toBe(404);
  });
});
