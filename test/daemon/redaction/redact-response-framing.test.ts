// Response redaction keeps the provider's stream framing, through the real daemon: a loopback
// upstream replays a recorded OpenAI chat stream (fixtures/openai/chunks/chat-openai-text, framed
// as OpenAI frames it), as recorded and with PII written into its deltas. A raw fetch reads the
// exact SSE lines the client gets; the official openai SDK reads the same stream as a client.
// No chunk arrives with its content emptied by holding, the finishing chunk is the upstream's
// byte for byte, released text comes in a chunk of its own in the stream's envelope just
// before it, and the text put together is the upstream's (PII masked). The same for a legacy
// completions stream.
import { readFileSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../support/gateway.js';
import { startReplayUpstream, type ReplayResponse, type ReplayUpstream } from '../../support/replay-upstream.js';

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  system_fingerprint?: string;
  choices: { index: number; delta: { role?: string; content?: string }; finish_reason: string | null }[];
  usage?: unknown;
  obfuscation?: string;
}

const recorded: Chunk[] = readFileSync('/work/shared/fixtures/openai/chunks/chat-openai-text.chunks.txt', 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Chunk);
const roleChunk = recorded[0] as Chunk;
const finishChunk = recorded.find((chunk) => chunk.choices[0]?.finish_reason === 'stop') as Chunk;
const usageChunk = recorded.at(-1) as Chunk;
const contentChunk = recorded[1] as Chunk;

/** The recorded stream with its content deltas replaced by these (the model "writes" them). */
function withDeltas(deltas: readonly string[]): Chunk[] {
  const body = deltas.map((content, i) => ({ ...contentChunk, choices: [{ ...contentChunk.choices[0], delta: { content } }], obfuscation: `pad${i}` }) as Chunk);
  return [roleChunk, ...body, finishChunk, usageChunk];
}

/** Tokens as a model writes them: a phone number and an email split mid-value, ending in "called.". */
const PII_DELTAS = ['Sure', ',', ' call', ' +', '44', ' 20', ' 794', '6', ' 095', '8', ' or', ' email', ' bob', '.j', 'ones', '@example', '.org', '.', ' They', ' called', '.'];
const PII_TEXT = 'Sure, call [PHONE] or email [EMAIL]. They called.';

let upstream: ReplayUpstream;
let gateway: TestGateway;

/** The chunks framed as OpenAI sends them, served in odd-sized pieces (events cut across reads). */
function recordedReplay(chunks: readonly object[]): ReplayResponse[] {
  const body = Buffer.from(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('') + 'data: [DONE]\n\n');
  return [{ status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body, pieces: [7, 300, 1] }];
}

async function start(chunks: readonly object[]): Promise<void> {
  upstream = await startReplayUpstream(recordedReplay(chunks));
  gateway = await startGateway({
    config: {
      providers: [{ id: 'up', type: 'openai', base_url: `${upstream.origin}/v1`, api_key: { env: 'UP_KEY' } }],
      models: [{ name: 'chat-model', provider: 'up', model: 'gpt-4.1-nano', capabilities: { chat: true, completions: true } }],
    },
    env: { UP_KEY: 'sk-upstream' },
  });
}

afterEach(async () => {
  await gateway.close();
  await upstream.close();
});

/** The `data:` payloads of the SSE response, as the exact strings sent. */
async function rawStream(body: Record<string, unknown>, path = '/chat/completions'): Promise<string[]> {
  const request = path === '/chat/completions' ? { messages: [{ role: 'user', content: 'Tell me about a holiday.' }] } : { prompt: 'Tell me about a holiday.' };
  const response = await fetch(`${gateway.baseURL}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat-model', ...request, stream: true, ...body }),
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  const events = text.split('\n\n').filter((event) => event !== '');
  for (const event of events) expect(event.startsWith('data: ')).toBe(true);
  const payloads = events.map((event) => event.slice('data: '.length));
  expect(payloads.at(-1)).toBe('[DONE]');
  return payloads.slice(0, -1);
}

const contentOf = (chunks: readonly Chunk[]): string => chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');

function expectProviderFraming(lines: readonly string[], served: readonly Chunk[], text: string): void {
  const chunks = lines.map((line) => JSON.parse(line) as Chunk);
  expect(contentOf(chunks)).toBe(text);
  // The first chunk is the upstream's role chunk, untouched.
  expect(lines[0]).toBe(JSON.stringify(roleChunk));
  // No chunk whose content was emptied by holding: every later choice carries text or a finish.
  for (const chunk of chunks.slice(1)) {
    for (const choice of chunk.choices) expect((choice.delta.content ?? '') !== '' || choice.finish_reason !== null).toBe(true);
  }
  // The finishing chunk is the upstream's, byte for byte; the text still held when it came goes
  // out just before it, in a chunk of its own with the stream's envelope.
  const finishAt = chunks.findIndex((chunk) => chunk.choices[0]?.finish_reason !== null && chunk.choices[0]?.finish_reason !== undefined);
  expect(lines[finishAt]).toBe(JSON.stringify(finishChunk));
  const released = chunks[finishAt - 1] as Chunk;
  expect(released).toEqual({
    id: finishChunk.id,
    object: 'chat.completion.chunk',
    created: finishChunk.created,
    model: finishChunk.model,
    service_tier: 'default',
    system_fingerprint: finishChunk.system_fingerprint,
    choices: [{ index: 0, delta: { content: expect.any(String) }, logprobs: null, finish_reason: null }],
    usage: null,
  });
  // Every chunk between is one of the upstream's (the next one with its obfuscation padding), in order,
  // with only its content changed (cut where text was held, or holding what was released).
  let after = 0;
  for (const [i, chunk] of chunks.slice(1, finishAt - 1).entries()) {
    const at = served.findIndex((item, k) => k > after && item.obfuscation === chunk.obfuscation);
    expect(at).toBeGreaterThan(after);
    after = at;
    const source = served[at] as Chunk;
    expect(lines[i + 1]).toBe(JSON.stringify({ ...source, choices: [{ ...source.choices[0], delta: { content: chunk.choices[0]?.delta.content } }] }));
  }
}

describe('response redaction keeps the provider\'s stream framing (real daemon, recorded OpenAI stream)', () => {
  it('sends a recorded stream without PII with no empty-content chunks and the upstream\'s finishing chunk', async () => {
    await start(recorded);
    const lines = await rawStream({});
    expectProviderFraming(lines, recorded, contentOf(recorded));
    // The client did not ask for usage: the daemon's own include_usage chunk stays hidden.
    expect(lines.at(-1)).toBe(JSON.stringify(finishChunk));
  });

  it('masks PII split across deltas, releasing the held "called." in its own chunk before the upstream\'s finishing chunk', async () => {
    const chunks = withDeltas(PII_DELTAS);
    await start(chunks);
    const lines = await rawStream({});
    expectProviderFraming(lines, chunks, PII_TEXT);
    expect(lines.join('\n')).not.toMatch(/bob|7946|0958/);
    expect((JSON.parse(lines.at(-2) as string) as Chunk).choices[0]?.delta).toEqual({ content: 'called.' });
  });

  it('passes the usage chunk through as the upstream sent it when the client asks for usage', async () => {
    const chunks = withDeltas(PII_DELTAS);
    await start(chunks);
    const lines = await rawStream({ stream_options: { include_usage: true } });
    expect(lines.at(-1)).toBe(JSON.stringify(usageChunk));
    expectProviderFraming(lines.slice(0, -1), chunks, PII_TEXT);
  });

  it('does the same for a legacy completions stream (choices[].text)', async () => {
    // OpenAI's legacy stream shape (no recording of it in the fixtures): the recorded stream's
    // id and created, text deltas, then a finishing chunk with empty text.
    const legacy = (text: string, finish: string | null, i: number) => ({
      id: 'cmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0',
      object: 'text_completion',
      created: finishChunk.created,
      choices: [{ text, index: 0, logprobs: null, finish_reason: finish }],
      model: 'gpt-3.5-turbo-instruct',
      obfuscation: `pad${i}`,
    });
    const served = [...PII_DELTAS.map((text, i) => legacy(text, null, i)), legacy('', 'length', PII_DELTAS.length)];
    await start(served);
    const lines = await rawStream({}, '/completions');
    const chunks = lines.map((line) => JSON.parse(line) as { choices: { text: string; finish_reason: string | null }[] });
    expect(chunks.map((chunk) => chunk.choices[0]?.text).join('')).toBe(PII_TEXT);
    for (const chunk of chunks) for (const choice of chunk.choices) expect(choice.text !== '' || choice.finish_reason !== null).toBe(true);
    expect(lines.at(-1)).toBe(JSON.stringify(served.at(-1)));
    expect(JSON.parse(lines.at(-2) as string)).toEqual({
      id: 'cmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0',
      object: 'text_completion',
      created: finishChunk.created,
      model: 'gpt-3.5-turbo-instruct',
      choices: [{ index: 0, text: 'called.', logprobs: null, finish_reason: null }],
    });
    expect(chunks.length).toBeLessThan(served.length);
  });

  it('reads the same stream with the official openai client: text, one finish, no empty deltas', async () => {
    await start(withDeltas(PII_DELTAS));
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'chat-model', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    const deltas: string[] = [];
    const finishes: string[] = [];
    for await (const chunk of stream) {
      const choice = chunk.choices[0];
      if (choice === undefined) continue;
      if (choice.delta.content !== undefined && choice.delta.content !== null) deltas.push(choice.delta.content);
      text += choice.delta.content ?? '';
      if (choice.finish_reason !== null) finishes.push(choice.finish_reason);
    }
    expect(text).toBe(PII_TEXT);
    expect(finishes).toEqual(['stop']);
    // Only the upstream's role chunk has empty content.
    expect(deltas.filter((delta) => delta === '')).toHaveLength(1);
  });

  it('gives Anthropic Messages and Responses clients (translated from these chunks) the same text with no empty text deltas', async () => {
    await start(withDeltas(PII_DELTAS));
    const anthropic = new Anthropic({ apiKey: gateway.apiKey, baseURL: gateway.origin, maxRetries: 0 });
    const deltas: string[] = [];
    const stream = anthropic.messages.stream({ model: 'chat-model', max_tokens: 200, messages: [{ role: 'user', content: 'hi' }] });
    stream.on('text', (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(message.content).toMatchObject([{ type: 'text', text: PII_TEXT }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(deltas.filter((delta) => delta === '')).toEqual([]);

    upstream.queue.push(...recordedReplay(withDeltas(PII_DELTAS)));
    const client = new OpenAI({ apiKey: gateway.apiKey, baseURL: gateway.baseURL, maxRetries: 0 });
    const events = await client.responses.create({ model: 'chat-model', input: 'hi', stream: true });
    const texts: string[] = [];
    for await (const event of events) if (event.type === 'response.output_text.delta') texts.push(event.delta);
    expect(texts.join('')).toBe(PII_TEXT);
    expect(texts.filter((delta) => delta === '')).toEqual([]);
  });
});
