// enforceLimits in the running daemon (startDaemon + a policy file + a real local upstream +
// the official openai client), on an injected clock: token buckets per tenant, user and model
// for requests and tokens per minute, answered like OpenAI (429, retry-after, x-ratelimit-*);
// daily and monthly budgets per tenant and per virtual key from real usage × price, with a soft
// warning (header + audit event) and a hard refusal; and all of it still in force after the
// daemon restarts on the same data dir.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { Compile } from 'typebox/compile';
import { BudgetsResponse, type BudgetStatus } from '../../../shared/schemas/policy-admin.js';
import { startPolicyDaemon, START_TIME, type PolicyDaemon } from '../../support/policy-daemon.js';

const endpoints = `version: 1
endpoints:
  mini: { provider: cloud, model: gpt-mini, price: { input_per_1m: 10000, output_per_1m: 20000 } }
default: { route_to: mini, retries: 0 }
`;

const limitsPolicy = `${endpoints}limits:
  - { per: tenant, match: rpm, requests_per_min: 3 }
  - { per: user, match: "per-user/*", requests_per_min: 1 }
  - { per: model, match: scarce-model, requests_per_min: 2 }
  - { per: tenant, match: tpm, tokens_per_min: 300 }
`;

const budgetPolicy = `${endpoints}budgets:
  - { per: tenant, match: spender, daily_usd: 1, monthly_usd: 1.8, soft_ratio: 0.5 }
`;

const keyBudgetPolicy = `${endpoints}budgets:
  - { per: key, monthly_usd: 0.5 }
`;

let gw: PolicyDaemon | undefined;

afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

async function chat(client: OpenAI, params: Partial<OpenAI.Chat.ChatCompletionCreateParamsNonStreaming> = {}) {
  const { response } = await client.chat.completions
    .create({ model: 'chat', messages: [{ role: 'user', content: 'Say hello.' }], ...params })
    .withResponse();
  return response.headers;
}

async function refusal(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OpenAI.APIError);
  return error as InstanceType<typeof OpenAI.APIError>;
}

describe('rate limits', () => {
  it('counts requests per tenant across its users, refuses like OpenAI, and refills with time', async () => {
    gw = await startPolicyDaemon({ policy: limitsPolicy, keys: { a: { tenant: 'rpm', user: 'a' }, b: { tenant: 'rpm', user: 'b' } } });
    const remaining: (string | null)[] = [];
    const reset: (string | null)[] = [];
    for (const key of ['a', 'b', 'a']) {
      const headers = await chat(gw.client(key));
      expect(headers.get('x-ratelimit-limit-requests')).toBe('3');
      remaining.push(headers.get('x-ratelimit-remaining-requests'));
      reset.push(headers.get('x-ratelimit-reset-requests'));
    }
    expect(remaining).toEqual(['2', '1', '0']);
    expect(reset).toEqual(['20s', '40s', '1m0s']); // until the bucket is full again

    const error = await refusal(chat(gw.client('b')));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.status).toBe(429);
    expect(error.code).toBe('rate_limit_exceeded');
    expect(error.message).toBe('429 Rate limit reached for tenant "rpm" on requests per min (RPM): Limit 3, Requested 1 (policy limits[0]). Please try again in 20s.');
    expect(error.headers?.get('retry-after')).toBe('20');
    expect(error.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(error.headers?.get('x-ratelimit-reset-requests')).toBe('1m0s');
    expect(gw.cloud.stats.requests).toBe(3);
    expect((await gw.auditRows()).at(-1)).toMatchObject({ status: 429, error_code: 'rate_limit_exceeded', endpoint: null });

    gw.clock.advance(19_999);
    await refusal(chat(gw.client('a')));
    gw.clock.advance(1);
    expect((await chat(gw.client('a'))).get('x-ratelimit-remaining-requests')).toBe('0');
  });

  it('keeps a bucket per user and per requested model', async () => {
    gw = await startPolicyDaemon({
      policy: limitsPolicy,
      keys: { u1: { tenant: 'per-user', user: 'u1' }, u2: { tenant: 'per-user', user: 'u2' }, other: { tenant: 'other', user: 'x' } },
    });
    await chat(gw.client('u1'));
    expect((await refusal(chat(gw.client('u1')))).message).toContain('user "per-user/u1" on requests per min (RPM): Limit 1');
    await chat(gw.client('u2')); // another user, another bucket

    await chat(gw.client('other'), { model: 'scarce-model' });
    // u2's own bucket is empty: refused, and a refused request takes nothing from the model's bucket.
    expect((await refusal(chat(gw.client('u2'), { model: 'scarce-model' }))).message).toContain('user "per-user/u2"');
    await chat(gw.client('other'), { model: 'scarce-model' });
    expect((await refusal(chat(gw.client('other'), { model: 'scarce-model' }))).message).toContain('model "scarce-model" on requests per min (RPM): Limit 2');
    await chat(gw.client('other')); // other models are not limited
  });

  it('reserves estimated tokens per minute, refunds what the answer did not use, and refuses what does not fit', async () => {
    gw = await startPolicyDaemon({ policy: limitsPolicy, keys: { t: { tenant: 'tpm', user: 't' } } });
    const first = await chat(gw.client('t'), { max_tokens: 250 });
    expect(first.get('x-ratelimit-limit-tokens')).toBe('300');
    const reservedFirst = 300 - Number(first.get('x-ratelimit-remaining-tokens'));
    expect(reservedFirst).toBeGreaterThan(250); // prompt (real tokenizer) + max_tokens
    const used = (await gw.auditRows()).at(-1)?.total_tokens ?? 0;
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(50);

    // Without the refund of the unused reservation this request would not fit.
    const second = await chat(gw.client('t'), { max_tokens: 250 });
    expect(Number(second.get('x-ratelimit-remaining-tokens'))).toBe(300 - used - reservedFirst);

    const error = await refusal(chat(gw.client('t'), { max_tokens: 290 }));
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error.message).toMatch(/^429 Rate limit reached for tenant "tpm" on tokens per min \(TPM\): Limit 300, Requested \d+ \(policy limits\[3\]\)\. Please try again in \d+s\.$/);
    expect(error.headers?.get('x-ratelimit-limit-tokens')).toBe('300');
    // Nothing was taken by the refusal: left is what the two (identical) answers did not use.
    expect(Number(error.headers?.get('x-ratelimit-remaining-tokens'))).toBe(300 - 2 * used);
    expect(Number(error.headers?.get('retry-after'))).toBeGreaterThan(0);
  });

  it('counts streamed tokens too (usage requested upstream, not shown to a client that did not ask)', async () => {
    gw = await startPolicyDaemon({ policy: limitsPolicy, keys: { t: { tenant: 'tpm', user: 't' } } });
    const stream = await gw.client('t').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hello.' }], stream: true, max_tokens: 10 });
    const chunks: OpenAI.Chat.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.choices.length > 0)).toBe(true);
    expect((gw.cloud.stats.recent.at(-1)?.body as { stream_options?: unknown }).stream_options).toEqual({ include_usage: true });
    const row = (await gw.auditRows()).at(-1);
    expect(row?.total_tokens).toBeGreaterThan(0);
    expect(row?.cost_usd).toBeGreaterThan(0);
  });

  it('keeps the buckets across a daemon restart', async () => {
    gw = await startPolicyDaemon({ policy: limitsPolicy, keys: { a: { tenant: 'rpm', user: 'a' } } });
    for (let i = 0; i < 3; i += 1) await chat(gw.client('a'));
    await gw.restart();
    expect((await refusal(chat(gw.client('a')))).status).toBe(429);
    gw.clock.advance(20_000);
    await chat(gw.client('a'));
  });
});

describe('budgets', () => {
  /** Sends requests until one is refused; returns the spend before each request and its warning header. */
  async function spendUntilRefused(harness: PolicyDaemon, key: string) {
    const seen: { spendBefore: number; warning: string | null }[] = [];
    let spend = (await harness.auditRows()).reduce((sum, row) => sum + (row.tenant === 'spender' ? (row.cost_usd ?? 0) : 0), 0);
    for (let i = 0; i < 50; i += 1) {
      const result = await chat(harness.client(key)).then(
        (headers) => ({ headers, error: null }),
        (error: unknown) => ({ headers: null, error: error as InstanceType<typeof OpenAI.APIError> }),
      );
      if (result.error !== null) return { seen, error: result.error, spend };
      seen.push({ spendBefore: spend, warning: result.headers.get('x-kagami-budget-warning') });
      spend += (await harness.auditRows()).at(-1)?.cost_usd ?? 0;
    }
    throw new Error('the budget never refused');
  }

  it('warns past the soft share and refuses at the daily cap, from usage × price', async () => {
    gw = await startPolicyDaemon({ policy: budgetPolicy, keys: { s: { tenant: 'spender', user: 's' }, s2: { tenant: 'spender', user: 's2' } } });
    const { seen, error, spend } = await spendUntilRefused(gw, 's');
    expect(seen.length).toBeGreaterThan(2);
    for (const { spendBefore, warning } of seen) {
      expect(spendBefore).toBeLessThan(1);
      if (spendBefore >= 0.9) expect(warning).toMatch(/^tenant spender daily \d+% of \$1; tenant spender monthly \d+% of \$1\.8$/);
      else if (spendBefore >= 0.5) expect(warning).toMatch(/^tenant spender daily \d+% of \$1$/);
      else expect(warning).toBeNull();
    }
    expect(seen.some((s) => s.warning !== null)).toBe(true);
    expect(spend).toBeGreaterThanOrEqual(1);
    expect(error.status).toBe(429);
    expect(error.code).toBe('budget_exceeded');
    expect(error.type).toBe('insufficient_quota');
    expect(error.message).toMatch(/^429 The daily budget of tenant "spender" is used up \(\$1\.\d{4} of \$1; policy budgets\[0\]\)\.$/);
    expect(error.headers?.get('retry-after')).toBe(String(14 * 3600)); // until 00:00 UTC
    // The whole tenant is refused (another user's key), and nothing reached the upstream.
    const upstreamCalls = gw.cloud.stats.requests;
    expect((await refusal(chat(gw.client('s2')))).code).toBe('budget_exceeded');
    expect(gw.cloud.stats.requests).toBe(upstreamCalls);

    // Spend per tenant and key (admin token required), and each crossing audited once.
    expect((await fetch(`${gw.daemon.url}/admin/budgets`)).status).toBe(401);
    const body = await gw.admin('/admin/budgets');
    expect(Compile(BudgetsResponse).Check(body)).toBe(true);
    const budgets = body as BudgetsResponse;
    const tenant = budgets.budgets.find((b) => b.scope === 'tenant' && b.subject === 'spender');
    expect(tenant).toMatchObject({ dailyCapUsd: 1, monthlyCapUsd: 1.8, softRatio: 0.5 });
    expect(tenant?.dailySpendUsd).toBeCloseTo(spend, 9);
    expect(gw.adminEvents('budget_soft_limit')).toEqual([
      expect.objectContaining({ scope: 'tenant', subject: 'spender', window: 'daily', level: 'soft', capUsd: 1 }),
      expect.objectContaining({ scope: 'tenant', subject: 'spender', window: 'monthly', level: 'soft', capUsd: 1.8 }),
    ]);
    expect(gw.adminEvents('budget_exceeded')).toEqual([expect.objectContaining({ scope: 'tenant', subject: 'spender', window: 'daily', level: 'hard' })]);

    // The next day the daily cap is fresh; the monthly one keeps counting.
    gw.clock.advance(14 * 3600 * 1000);
    await chat(gw.client('s2'));
  });

  it('caps each virtual key per month and keeps the spend across a daemon restart', async () => {
    gw = await startPolicyDaemon({ policy: keyBudgetPolicy, keys: { k: { tenant: 'team', user: 'k' }, other: { tenant: 'team', user: 'other' } } });
    let refused: InstanceType<typeof OpenAI.APIError> | null = null;
    for (let i = 0; i < 50 && refused === null; i += 1) {
      refused = await chat(gw.client('k')).then(
        () => null,
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
    }
    expect(refused?.code).toBe('budget_exceeded');
    expect(refused?.message).toMatch(/^429 The monthly budget of key "key_[0-9a-f]+" is used up/);
    const spendBefore = ((await gw.admin('/admin/budgets')) as { budgets: BudgetStatus[] }).budgets.find((b) => b.scope === 'key' && b.monthlySpendUsd > 0);

    await gw.restart();
    expect((await refusal(chat(gw.client('k')))).code).toBe('budget_exceeded');
    await chat(gw.client('other')); // another key of the same tenant has its own cap
    const after = ((await gw.admin('/admin/budgets')) as { budgets: BudgetStatus[] }).budgets.find((b) => b.subject === spendBefore?.subject);
    expect(after?.monthlySpendUsd).toBeCloseTo(spendBefore?.monthlySpendUsd ?? -1, 9);

    // Next month: a fresh budget.
    gw.clock.set(Date.UTC(2026, 11, 1, 0, 0, 1));
    await chat(gw.client('k'));
    expect(START_TIME).toBeLessThan(Date.UTC(2026, 11, 1));
  });
});

describe('an upstream that reports no usage', () => {
  let upstream: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => upstream?.close(resolve) ?? resolve(undefined));
  });

  /** An OpenAI-compatible upstream that never sends `usage` (ignores stream_options too). */
  async function startUsagelessUpstream(): Promise<string> {
    upstream = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as { stream?: boolean; model: string };
        const base = { id: 'chatcmpl-x', created: 1, model: body.model };
        if (body.stream !== true) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'four words of answer' }, finish_reason: 'stop' }] }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const content of ['four ', 'words of ', 'answer']) {
          res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
        }
        res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
        res.end('data: [DONE]\n\n');
      });
    });
    await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(upstream.address() as AddressInfo).port}/v1`;
  }

  it('is charged the tokens the gateway counts (prompt and answer), JSON and streamed', async () => {
    gw = await startPolicyDaemon({ policy: limitsPolicy, keys: { t: { tenant: 'tpm', user: 't' } }, cloudUrl: await startUsagelessUpstream() });
    const first = await chat(gw.client('t'), { max_tokens: 100 });
    const reserved = 300 - Number(first.get('x-ratelimit-remaining-tokens'));
    const stream = await gw.client('t').chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'Say hello.' }], stream: true, max_tokens: 100 });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('four words of answer');

    const rows = await gw.auditRows();
    const limits = rows.map((row) => (row.decision as { outcome?: { limits?: { usageEstimated?: boolean } } }).outcome?.limits?.usageEstimated);
    expect(limits).toEqual([true, true]);
    for (const row of rows) expect(row.cost_usd).toBeGreaterThan(0);
    // prompt "Say hello." (3 + 3 + 3 framing tokens) + "four words of answer" (4 tokens)
    const third = await chat(gw.client('t'), { max_tokens: 100 });
    expect(Number(third.get('x-ratelimit-remaining-tokens'))).toBe(300 - 2 * 13 - reserved);
  });
});
