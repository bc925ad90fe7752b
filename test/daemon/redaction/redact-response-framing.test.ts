// Response redaction keeps the provider's stream framing, through the real daemon: a loopback
// upstream replays a recorded OpenAI chat stream (fixtures/openai/chunks/chat-openai-text, framed
// as OpenAI frames it), as recorded and with PII written into its deltas. A raw fetch reads the
// exact SSE lines the client gets; the official openai SDK reads the same stream as a client.
// No chunk arrives with its content emptied by holding, the finishing chunk is the upstream's
// byte for byte, released text comes in a chunk of its own in the stream's envelope just
// before it, and the text put together is the upstream's (PII masked).
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../support/gateway.js';
import { startReplayUpstream, type ReplayUpstream } from '../../support/replay-upstream.js';

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

async function start(chunks: readonly Chunk[]): Promise<void> {
  const body = Buffer.from(chunks.map((chunk) => `data: ${JSON.stringify(chunk)}\n\n`).join('') + 'data: [DONE]\n\n');
  // Odd-sized pieces: SSE events also arrive cut across reads.
  upstream = await startReplayUpstream([{ status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body, pieces: [7, 300, 1] }]);
  gateway = await startGateway({
    config: {
      providers: [{ id: 'up', type: 'openai', base_url: `${upstream.origin}/v1`, api_key: { env: 'UP_KEY' } }],
      models: [{ name: 'chat-model', provider: 'up', model: 'gpt-4.1-nano', capabilities: { chat: true } }],
    },
    env: { UP_KEY: 'sk-upstream' },
  });
}

afterEach(async () => {
  await gateway.close();
  await upstream.close();
});

/** The `data:` payloads of the SSE response, as the exact strings sent. */
async function rawStream(body: Record<string, unknown>): Promise<string[]> {
  const response = await fetch(`${gateway.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gateway.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat-model', messages: [{ role: 'user', content: 'Tell me about a holiday.' }], stream: true, ...body }),
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
});
