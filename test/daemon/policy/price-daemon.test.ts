// The running daemon prices prompt-cache reads and writes at their own rates: an upstream that
// reports cached prompt tokens gets an audit row whose cost_usd uses the cached price, and the
// budgets charge exactly that figure. Both cost paths: under a policy (enforceLimits prices the
// answering endpoint) and without one (recordAudit prices the config model).
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import type { BudgetsResponse } from '../../../shared/schemas/policy-admin.js';
import { startGateway, type TestGateway } from '../../support/gateway.js';
import { startPolicyDaemon, type PolicyDaemon } from '../../support/policy-daemon.js';
import { startReplayUpstream, type ReplayUpstream } from '../../support/replay-upstream.js';
import { exchange, recordedReplay, responseBytes } from '../../providers/fixtures.js';

let upstream: ReplayUpstream | undefined;
let daemon: PolicyDaemon | undefined;
let gateway: TestGateway | undefined;

afterEach(async () => {
  await daemon?.close();
  await gateway?.close();
  await upstream?.close();
  upstream = daemon = gateway = undefined;
});

describe('cost of cached prompt tokens in the running daemon', () => {
  it('prices an OpenAI-compatible answer’s cached_tokens at cached_input_per_1m, in the audit row and the budget', async () => {
    // Groq's recorded answer: prompt_tokens 336 of which cached_tokens 256, completion_tokens 96.
    upstream = await startReplayUpstream([recordedReplay('openai-compatible', 'groq-tool-use-failed-error', 2)]);
    daemon = await startPolicyDaemon({
      policy: `version: 1
endpoints:
  groq: { provider: cloud, model: openai/gpt-oss-120b, price: { input_per_1m: 10000, output_per_1m: 20000, cached_input_per_1m: 1000 } }
default: { route_to: groq, retries: 0 }
budgets:
  - { per: tenant, daily_usd: 100 }
`,
      keys: { k: { tenant: 'cachers', user: 'k' } },
      cloudUrl: `${upstream.origin}/v1`,
    });
    const completion = await daemon.client('k').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Call the tool.' }] });
    expect(completion.usage).toMatchObject({ prompt_tokens: 336, completion_tokens: 96, prompt_tokens_details: { cached_tokens: 256 } });

    const expected = (80 * 10000 + 256 * 1000 + 96 * 20000) / 1e6; // 2.976; every prompt token at the input price: 5.28
    const row = (await daemon.auditRows()).at(-1);
    expect(row).toMatchObject({ endpoint: 'groq', prompt_tokens: 336, completion_tokens: 96 });
    expect(row?.cost_usd).toBeCloseTo(expected, 9);
    const budgets = (await daemon.admin('/admin/budgets')) as BudgetsResponse;
    const tenant = budgets.budgets.find((b) => b.scope === 'tenant' && b.subject === 'cachers');
    expect(tenant?.dailySpendUsd).toBeCloseTo(expected, 9);
  });

  it('prices a streamed Anthropic answer’s cache reads and writes at their rates for a config model (no policy)', async () => {
    // Anthropic's recorded stream, with the cache counts a cache hit reports (the recordings have none):
    // 20 uncached input tokens, 4000 read from the cache, 500 written to it, 5 output tokens.
    const recorded = responseBytes('anthropic', exchange('anthropic', 'messages-stream-text')).toString('utf8');
    const cacheHit = recorded.replaceAll('"cache_creation_input_tokens":0,"cache_read_input_tokens":0', '"cache_creation_input_tokens":500,"cache_read_input_tokens":4000');
    expect(cacheHit.match(/"cache_read_input_tokens":4000/g)).toHaveLength(2); // message_start and message_delta
    upstream = await startReplayUpstream([{ status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8' }, body: Buffer.from(cacheHit) }]);
    gateway = await startGateway({
      config: {
        providers: [{ id: 'ant', type: 'anthropic', base_url: `${upstream.origin}/v1`, api_key: { env: 'UP_KEY' } }],
        models: [
          {
            name: 'claude-sonnet-4-5',
            provider: 'ant',
            model: 'claude-sonnet-4-5',
            capabilities: { chat: true },
            price: { input_per_1m: 3, output_per_1m: 15, cached_input_per_1m: 0.3, cache_write_per_1m: 3.75 },
          },
        ],
      },
      env: { UP_KEY: 'sk-upstream' },
    });
    const client = new OpenAI({ baseURL: gateway.baseURL, apiKey: gateway.apiKey, maxRetries: 0 });
    const stream = await client.chat.completions.create({
      model: 'claude-sonnet-4-5',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'What is 1+1? Answer with just the number.' }],
    });
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) usage ??= chunk.usage;
    expect(usage).toMatchObject({ prompt_tokens: 4520, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 4000 } });

    const row = (await gateway.auditRows()).at(-1);
    expect(row).toMatchObject({ provider: 'ant', prompt_tokens: 4520, completion_tokens: 5, stream: true });
    expect(row?.cost_usd).toBeCloseTo((20 * 3 + 4000 * 0.3 + 500 * 3.75 + 5 * 15) / 1e6, 12);
  });
});
