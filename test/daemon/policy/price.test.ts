// costUsd: the one cost function (audit cost_usd, budget spend, routing estimates). Prompt-cache
// reads and writes are priced at their own rates, and every provider translation hands it the
// cache counts its upstream reports.
import { describe, expect, it } from 'vitest';
import { costUsd } from '../../../daemon/policy/price.js';
import { mapUsage as anthropicUsage } from '../../../daemon/providers/anthropic/response.js';
import { AnthropicStreamDecoder } from '../../../daemon/providers/anthropic/stream.js';
import { mapUsage as bedrockUsage } from '../../../daemon/providers/bedrock/response.js';
import { mapUsage as geminiUsage } from '../../../daemon/providers/gemini/response.js';
import { readOpenAiUsage } from '../../../daemon/providers/openai-compatible/wire.js';

/** Claude Sonnet's list price: reads 0.1×, 5-minute writes 1.25× the input price. */
const sonnet = { input_per_1m: 3, output_per_1m: 15, cached_input_per_1m: 0.3, cache_write_per_1m: 3.75 };

describe('costUsd', () => {
  it('prices prompt and completion tokens per million', () => {
    expect(costUsd({ input_per_1m: 0.15, output_per_1m: 0.6 }, { promptTokens: 1_000_000, completionTokens: 500_000 })).toBeCloseTo(0.45, 12);
  });

  it('is 0 for a model without a price', () => {
    expect(costUsd(null, { promptTokens: 1000, completionTokens: 1000, cachedTokens: 10 })).toBe(0);
    expect(costUsd(undefined, { promptTokens: 1000, completionTokens: 1000 })).toBe(0);
  });

  it('prices cache reads and writes at their own rates and only the rest of the prompt at the input rate', () => {
    const usage = { promptTokens: 1110, completionTokens: 5, cachedTokens: 1000, cacheWriteTokens: 100 };
    // 10 uncached × 3 + 1000 read × 0.3 + 100 written × 3.75 + 5 × 15
    expect(costUsd(sonnet, usage)).toBeCloseTo((30 + 300 + 375 + 75) / 1e6, 15);
  });

  it('prices cache reads and writes at the input rate when the price names no cache rates', () => {
    const usage = { promptTokens: 1110, completionTokens: 5, cachedTokens: 1000, cacheWriteTokens: 100 };
    expect(costUsd({ input_per_1m: 3, output_per_1m: 15 }, usage)).toBeCloseTo((1110 * 3 + 5 * 15) / 1e6, 15);
  });

  it('defaults each cache rate on its own', () => {
    const usage = { promptTokens: 1110, completionTokens: 0, cachedTokens: 1000, cacheWriteTokens: 100 };
    expect(costUsd({ input_per_1m: 3, output_per_1m: 15, cached_input_per_1m: 0.3 }, usage)).toBeCloseTo((10 * 3 + 1000 * 0.3 + 100 * 3) / 1e6, 15);
    expect(costUsd({ input_per_1m: 3, output_per_1m: 15, cache_write_per_1m: 3.75 }, usage)).toBeCloseTo((10 * 3 + 1000 * 3 + 100 * 3.75) / 1e6, 15);
  });

  it('never bills a negative uncached prompt when an upstream reports more cached than prompt tokens', () => {
    expect(costUsd(sonnet, { promptTokens: 100, completionTokens: 0, cachedTokens: 150 })).toBeCloseTo((150 * 0.3) / 1e6, 15);
  });
});

describe('cache counts from each provider translation, priced', () => {
  it('OpenAI-compatible: prompt_tokens_details.cached_tokens (recorded Groq usage)', () => {
    // Usage of the second answer in fixtures/openai-compatible/wire/groq-tool-use-failed-error.json.
    const usage = readOpenAiUsage({ completion_tokens: 96, prompt_tokens: 336, prompt_tokens_details: { cached_tokens: 256 }, total_tokens: 432 });
    expect(usage).toEqual({ promptTokens: 336, completionTokens: 96, totalTokens: 432, cachedTokens: 256 });
    const price = { input_per_1m: 0.15, output_per_1m: 0.6, cached_input_per_1m: 0.075 };
    expect(costUsd(price, usage!)).toBeCloseTo((80 * 0.15 + 256 * 0.075 + 96 * 0.6) / 1e6, 15);
  });

  it('OpenAI-compatible: prompt_tokens_details.cache_write_tokens (OpenRouter, or this gateway upstream of another)', () => {
    const usage = readOpenAiUsage({ prompt_tokens: 194, completion_tokens: 2, total_tokens: 196, prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 100 } });
    expect(usage).toEqual({ promptTokens: 194, completionTokens: 2, totalTokens: 196, cachedTokens: 0, cacheWriteTokens: 100 });
    expect(costUsd(sonnet, usage!)).toBeCloseTo((94 * 3 + 100 * 3.75 + 2 * 15) / 1e6, 15);
  });

  it('Anthropic: cache_read_input_tokens and cache_creation_input_tokens, JSON and streamed', () => {
    const reported = { input_tokens: 10, cache_creation_input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 5 };
    const expected = (10 * 3 + 1000 * 0.3 + 100 * 3.75 + 5 * 15) / 1e6;
    expect(costUsd(sonnet, anthropicUsage(reported))).toBeCloseTo(expected, 15);

    // Streamed: the cache counts arrive in message_start, the output count in message_delta.
    const decoder = new AnthropicStreamDecoder(false, 'claude');
    const events = [
      { type: 'message_start', message: { id: 'msg_1', model: 'claude', usage: { ...reported, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ];
    decoder.push(new TextEncoder().encode(events.map((e) => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`).join('')));
    decoder.end();
    expect(costUsd(sonnet, decoder.usage()!)).toBeCloseTo(expected, 15);
  });

  it('Bedrock Converse: cacheReadInputTokens and cacheWriteInputTokens', () => {
    const usage = bedrockUsage({ inputTokens: 10, outputTokens: 5, cacheReadInputTokens: 1000, cacheWriteInputTokens: 100 });
    expect(usage).toEqual({ promptTokens: 1110, completionTokens: 5, totalTokens: 1115, cachedTokens: 1000, cacheWriteTokens: 100 });
    expect(costUsd(sonnet, usage)).toBeCloseTo((10 * 3 + 1000 * 0.3 + 100 * 3.75 + 5 * 15) / 1e6, 15);
  });

  it('Gemini: cachedContentTokenCount, which promptTokenCount includes', () => {
    const usage = geminiUsage({ promptTokenCount: 1200, cachedContentTokenCount: 1000, candidatesTokenCount: 10, thoughtsTokenCount: 5 });
    expect(usage).toMatchObject({ promptTokens: 1200, completionTokens: 15, cachedTokens: 1000 });
    const flash = { input_per_1m: 0.3, output_per_1m: 2.5, cached_input_per_1m: 0.03 };
    expect(costUsd(flash, usage)).toBeCloseTo((200 * 0.3 + 1000 * 0.03 + 15 * 2.5) / 1e6, 15);
  });
});
