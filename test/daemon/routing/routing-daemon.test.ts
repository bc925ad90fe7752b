// Routing end to end: the real daemon app with a policy in front of several loopback mock
// upstreams (with fault knobs), driven by the official openai client. Weighted splits,
// strategies, fallback within a request, retries with backoff and retry-after, the retry
// budget, breakers and health checks, all on an injected clock and a seeded RNG.
import { countTokens } from 'gpt-tokenizer';
import OpenAI from 'openai';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startMockUpstream, type MockUpstream } from '../../../daemon/mock-upstream/server.js';
import type { CandidateReport } from '../../../daemon/policy/evaluate.js';
import { startRoutedGateway, type RoutedGateway } from './routed-gateway.js';

let a: MockUpstream;
let b: MockUpstream;
let local: MockUpstream;
let gateway: RoutedGateway | null = null;

beforeEach(async () => {
  [a, b, local] = await Promise.all([
    startMockUpstream({ reply: 'from a', models: ['model-a'] }),
    startMockUpstream({ reply: 'from b', models: ['model-b'] }),
    startMockUpstream({ reply: 'from local', models: ['llama'] }),
  ]);
});

afterEach(async () => {
  await gateway?.close();
  gateway = null;
  await Promise.all([a.close(), b.close(), local.close()]);
});

const ENDPOINTS = `endpoints:
  a: { provider: pa, model: model-a, price: { input_per_1m: 5, output_per_1m: 15 }, latency_hint_ms: 300 }
  b: { provider: pb, model: model-b, price: { input_per_1m: 0.5, output_per_1m: 1.5 }, latency_hint_ms: 900 }
  local: { provider: onprem, model: llama, on_prem: true, price: { input_per_1m: 0, output_per_1m: 0 }, health_check: { path: /models, interval_ms: 1000 } }
`;

async function start(policyBody: string, extra: Partial<Parameters<typeof startRoutedGateway>[0]> = {}): Promise<RoutedGateway> {
  gateway = await startRoutedGateway({
    policy: `version: 1\n${ENDPOINTS}${policyBody}`,
    providers: [
      { id: 'pa', url: a.url },
      { id: 'pb', url: b.url },
      { id: 'onprem', url: local.url, type: 'vllm', on_prem: true },
    ],
    ...extra,
  });
  return gateway;
}

const messages = [{ role: 'user' as const, content: 'Plan the quarterly review agenda' }];

async function ask(g: RoutedGateway, body: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}, headers: Record<string, string> = {}) {
  const { data, response } = await g.client.chat.completions.create({ model: 'any', messages, ...body }, { headers }).withResponse();
  return { text: data.choices[0]?.message.content, endpoint: response.headers.get('x-kagami-endpoint') };
}

function decision(g: RoutedGateway, index = -1): { candidates: CandidateReport[]; rule: string; outcome?: unknown } {
  const row = g.auditRows().at(index);
  return row?.decision as never;
}

describe('weighted routing', () => {
  it('splits 600 requests 3:1 within ±5 points, reproducibly for a seed', async () => {
    const g = await start(`default:\n  weighted: [{ endpoint: a, weight: 3 }, { endpoint: b, weight: 1 }]\n  retries: 0\n`, { seed: 7 });
    const seen: Record<string, number> = {};
    for (let i = 0; i < 600; i += 1) {
      const { endpoint } = await ask(g);
      seen[endpoint ?? ''] = (seen[endpoint ?? ''] ?? 0) + 1;
    }
    expect((seen.a ?? 0) + (seen.b ?? 0)).toBe(600);
    expect(a.stats.requests).toBe(seen.a);
    expect(b.stats.requests).toBe(seen.b);
    expect(Math.abs((seen.a ?? 0) / 600 - 0.75)).toBeLessThan(0.05);
    // The other target is the fallback of each draw.
    expect(decision(g).candidates.map((c) => c.endpoint).sort()).toEqual(['a', 'b']);
  });
});

describe('strategies', () => {
  it('cheapest ranks by price × real token estimate and sends to the cheapest', async () => {
    const g = await start(`default:\n  strategy: { type: cheapest, targets: [a, b] }\n`);
    expect((await ask(g, { max_tokens: 100 })).endpoint).toBe('b');
    // o200k tokens of the content + 3 per message + 3 reply priming (OpenAI's accounting).
    const prompt = countTokens(messages[0]?.content ?? '') + 6;
    const [first, second] = decision(g).candidates;
    expect(first).toMatchObject({ endpoint: 'b', costUsd: (prompt * 0.5 + 100 * 1.5) / 1e6 });
    expect(second).toMatchObject({ endpoint: 'a', costUsd: (prompt * 5 + 100 * 15) / 1e6 });
    expect(first?.score).toBeLessThan(second?.score ?? 0);
  });

  it('fastest follows live latency: the hint first, then the measured EWMA once an endpoint is slow', async () => {
    const g = await start(`default:\n  strategy: { type: fastest, targets: [a, b] }\n`);
    // Hints: a 300 ms, b 900 ms, so a first. a then really answers in 250 ms.
    a.setOptions({ latencyMs: 250 });
    expect((await ask(g)).endpoint).toBe('a');
    // b is measured once (quick), a's EWMA (≈250 ms) is now above b's.
    g.runtime.routing.latency.record('b', 5);
    expect((await ask(g)).endpoint).toBe('b');
    expect(g.runtime.routing.latency.snapshot('a').ewmaMs).toBeGreaterThanOrEqual(250);
    const [first] = decision(g).candidates;
    expect(first?.endpoint).toBe('b');
  });

  it('cost_latency puts an endpoint whose live latency misses the SLO last, even when cheaper', async () => {
    // No latency hints here: only live measurements count.
    gateway = await startRoutedGateway({
      policy: `version: 1
endpoints:
  a: { provider: pa, model: model-a, price: { input_per_1m: 5, output_per_1m: 15 } }
  b: { provider: pb, model: model-b, price: { input_per_1m: 0.5, output_per_1m: 1.5 } }
default:
  strategy: { type: cost_latency, targets: [a, b], latency_weight: 0.2, slo_ms: 100 }
`,
      providers: [
        { id: 'pa', url: a.url },
        { id: 'pb', url: b.url },
      ],
    });
    const g = gateway;
    // Nothing measured yet: b wins on cost (weight 0.8 on cost).
    b.setOptions({ latencyMs: 150 });
    expect((await ask(g)).endpoint).toBe('b');
    // b really took ≥ 150 ms: its EWMA is over the 100 ms SLO, so a goes first now.
    expect((await ask(g)).endpoint).toBe('a');
    const [first, second] = decision(g).candidates;
    expect(first).toMatchObject({ endpoint: 'a', withinSlo: true });
    expect(second).toMatchObject({ endpoint: 'b', withinSlo: false });
    expect(second?.latencyMs).toBeGreaterThanOrEqual(150);
  });

  it('once an endpoint has 5 samples, its p95 (not the EWMA) is what the SLO is checked against', async () => {
    const g = await start(`default:\n  strategy: { type: cost_latency, targets: [a, b], latency_weight: 0.2, slo_ms: 1000 }\n`);
    expect((await ask(g)).endpoint).toBe('b');
    // Standing in for twenty measured requests: a slow tail (p95 1200 ms) under a fast median.
    for (let i = 0; i < 18; i += 1) g.runtime.routing.latency.record('b', 50);
    for (let i = 0; i < 2; i += 1) g.runtime.routing.latency.record('b', 1200);
    for (let i = 0; i < 18; i += 1) g.runtime.routing.latency.record('b', 50); // EWMA back to ~50 ms
    expect(g.runtime.routing.latency.snapshot('b')).toMatchObject({ p95Ms: 1200 });
    expect(g.runtime.routing.latency.snapshot('b').ewmaMs).toBeLessThan(100);
    expect((await ask(g)).endpoint).toBe('a');
    expect(decision(g).candidates.map((c) => [c.endpoint, c.withinSlo])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });
});

describe('fallback within the same request', () => {
  const POLICY = `default:\n  route_to: a\n  fallback: [b]\n  retries: 0\n`;

  it('on a 5xx', async () => {
    const g = await start(POLICY);
    a.setFaults({ errorRate: 1, errorStatus: 503 });
    expect(await ask(g)).toEqual({ text: 'from b', endpoint: 'b' });
    expect(a.stats.errors).toBe(1);
    expect(g.auditRows().at(-1)?.fallbacks).toEqual(['pa/model-a']);
  });

  it('on a connection reset', async () => {
    const g = await start(POLICY);
    a.setFaults({ reset: 'before-headers' });
    expect((await ask(g)).endpoint).toBe('b');
    expect(a.stats.resets).toBe(1);
  });

  it('on a first-byte timeout', async () => {
    gateway = await startRoutedGateway({
      policy: `version: 1\n${ENDPOINTS}${POLICY}`,
      providers: [
        { id: 'pa', url: a.url, timeouts: { first_byte_ms: 200 } },
        { id: 'pb', url: b.url },
        { id: 'onprem', url: local.url, on_prem: true },
      ],
    });
    a.setFaults({ stall: 'before-headers' });
    expect((await ask(gateway)).endpoint).toBe('b');
    expect(a.stats.stalls).toBe(1);
    expect(gateway.auditRows().at(-1)?.fallbacks).toEqual(['pa/model-a']);
  });

  it('never once a stream has started sending: the client gets the error, b is not asked', async () => {
    const g = await start(POLICY);
    // Chunks 20 ms apart, so the first ones reach the client before the reset.
    a.setOptions({ reply: 'one two three four five six seven eight nine ten', chunkCount: 10, chunkDelayMs: 20 });
    a.setFaults({ reset: 'mid-stream' });
    const stream = await g.client.chat.completions.create({ model: 'any', messages, stream: true });
    let text = '';
    let failed = false;
    try {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    } catch {
      failed = true;
    }
    expect(failed).toBe(true);
    expect(text).toMatch(/^one two/);
    expect(text).not.toContain('ten');
    expect(a.stats.resets).toBe(1);
    expect(b.stats.requests).toBe(0);
  });
});

describe('retries', () => {
  it('retries the same endpoint after an exponential backoff with jitter (seeded), within the request', async () => {
    const g = await start(`default:\n  route_to: a\n  retries: 2\n`, { backoff: { baseMs: 200, maxMs: 5000 } });
    a.setFaults({ errorRate: 1, errorStatus: 502 });
    await expect(ask(g)).rejects.toMatchObject({ status: 502 });
    expect(a.stats.requests).toBe(3);
    // Before attempt 2: uniform in [0, 200); before attempt 3: in [0, 400).
    expect(g.sleeps).toHaveLength(2);
    expect(g.sleeps[0]).toBeLessThan(200);
    expect(g.sleeps[1]).toBeLessThan(400);
    expect(g.sleeps.every((ms) => ms >= 0 && Number.isInteger(ms))).toBe(true);

    a.setFaults({ errorRate: 0.5, errorStatus: 500 }); // ok, fail, ok, …
    a.resetStats();
    expect((await ask(g)).endpoint).toBe('a');
    expect((await ask(g)).endpoint).toBe('a');
    expect(a.stats.requests).toBe(3);
  });

  it("honours the upstream's retry-after before asking it again", async () => {
    const g = await start(`default:\n  route_to: a\n  retries: 1\n`, { backoff: { baseMs: 100 } });
    a.setFaults({ errorRate: 0.5, errorStatus: 429 }); // the mock sends retry-after: 1 with its 429s
    await ask(g); // ok (the even-rate schedule: ok, fail, ok)
    const before = g.clock.now;
    expect((await ask(g)).text).toBe('from a');
    expect(g.sleeps).toEqual([1000]);
    expect(g.clock.now - before).toBe(1000);
    expect(a.stats.errors).toBe(1);
    expect(decision(g).outcome).toMatchObject({ backoffMs: [1000], attempts: [{ endpoint: 'a', ok: false }, { endpoint: 'a', ok: true }] });
  });

  it('stops failing over once the retry budget is spent, so an outage does not multiply traffic', async () => {
    const g = await start(`default:\n  route_to: a\n  fallback: [b]\n  retries: 0\n`, {
      retryBudget: { minRetries: 3, ratio: 0, windowMs: 10_000 },
      breaker: { consecutiveFailures: 1000, minSamples: 1000 },
    });
    a.setFaults({ errorRate: 1 });
    for (let i = 0; i < 3; i += 1) expect((await ask(g)).endpoint).toBe('b');
    await expect(ask(g)).rejects.toMatchObject({ status: 502 });
    expect(b.stats.requests).toBe(3);
    expect(decision(g).outcome).toMatchObject({ retryBudgetExhausted: true, attempts: [{ endpoint: 'a', ok: false, error: 'upstream_error' }] });
    // The window slides: 10 s later retries are allowed again.
    g.clock.now += 11_000;
    expect((await ask(g)).endpoint).toBe('b');
  });
});

describe('circuit breakers', () => {
  const POLICY = `default:\n  route_to: a\n  fallback: [b]\n  retries: 0\n`;

  it('opens after consecutive failures, lets one probe through after the cool-down, and closes on success', async () => {
    const g = await start(POLICY, { breaker: { consecutiveFailures: 3, coolDownMs: 10_000 } });
    a.setFaults({ errorRate: 1 });
    for (let i = 0; i < 3; i += 1) expect((await ask(g)).endpoint).toBe('b');
    expect(g.runtime.routing.breakers.stateOf('a')).toBe('open');
    // Open: a goes last and is not called; the audit row records the breaker states.
    expect((await ask(g)).endpoint).toBe('b');
    expect(a.stats.requests).toBe(3);
    expect(decision(g).candidates.map((c) => [c.endpoint, c.breaker])).toEqual([
      ['b', 'closed'],
      ['a', 'open'],
    ]);

    // After the cool-down a recovered. The probe request is held at a (slow answer) while two
    // more requests arrive: they must not go to a too; they are served by b.
    a.setFaults({});
    a.setOptions({ latencyMs: 1000 });
    g.clock.now += 10_000;
    const probe = ask(g);
    await vi.waitFor(() => expect(a.stats.requests).toBe(4), { interval: 5, timeout: 5000 });
    expect(g.runtime.routing.breakers.stateOf('a')).toBe('half_open');
    expect((await ask(g)).endpoint).toBe('b');
    expect((await ask(g)).endpoint).toBe('b');
    expect(a.stats.requests).toBe(4);
    expect((await probe).endpoint).toBe('a');
    expect(g.runtime.routing.breakers.stateOf('a')).toBe('closed');
    a.setOptions({ latencyMs: 0 });
    expect((await ask(g)).endpoint).toBe('a');
  });

  it('re-opens when the probe fails', async () => {
    const g = await start(POLICY, { breaker: { consecutiveFailures: 2, coolDownMs: 5_000 } });
    a.setFaults({ errorRate: 1 });
    await ask(g);
    await ask(g);
    g.clock.now += 5_000;
    expect((await ask(g)).endpoint).toBe('b'); // the probe failed
    expect(a.stats.requests).toBe(3);
    expect(g.runtime.routing.breakers.list().find((s) => s.endpoint === 'a')).toMatchObject({ state: 'open', opens: 2 });
    expect((await ask(g)).endpoint).toBe('b');
    expect(a.stats.requests).toBe(3);
  });

  it('opens on the failure ratio over its window without consecutive failures', async () => {
    const g = await start(POLICY, { breaker: { consecutiveFailures: 100, failureRatio: 0.5, window: 10, minSamples: 10 } });
    a.setFaults({ errorRate: 0.5 }); // ok, fail, ok, fail…: never two in a row
    for (let i = 0; i < 10; i += 1) await ask(g);
    expect(g.runtime.routing.breakers.stateOf('a')).toBe('open');
    const before = a.stats.requests;
    expect((await ask(g)).endpoint).toBe('b');
    expect(a.stats.requests).toBe(before);
  });
});

describe('on-prem guard and active health checks', () => {
  const POLICY = `data_classes:
  pii-restricted: { entities: [EMAIL], on_prem_only: true }
rules:
  - name: pii-on-prem
    when: { data_class: pii-restricted }
    route_to: local
default:
  route_to: a
  fallback: [b, local]
`;
  const pii = [{ role: 'user' as const, content: 'Please email jane.doe@example.com the contract' }];

  it('sends PII only on-prem; when the health check finds it down the request fails closed, never to a cloud endpoint', async () => {
    const g = await start(POLICY);
    await g.runtime.health.checkAll();
    expect(g.runtime.health.list()).toEqual([expect.objectContaining({ endpoint: 'local', up: true })]);
    expect((await ask(g, { messages: pii })).endpoint).toBe('local');
    expect(local.stats.byPath['/v1/models']).toBe(1);

    local.setFaults({ errorRate: 1, errorStatus: 503 });
    await g.runtime.health.checkAll();
    expect(g.runtime.health.list()[0]).toMatchObject({ up: false, lastError: 'HTTP 503' });
    const chats = local.stats.byPath['/v1/chat/completions'];
    const error = await ask(g, { messages: pii }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((error as Error).message).toMatch(/pii-restricted.*on-prem.*Not sent to any cloud endpoint/s);
    // Skipped without a call, and nothing went to the cloud.
    expect(local.stats.byPath['/v1/chat/completions']).toBe(chats);
    expect(a.stats.requests + b.stats.requests).toBe(0);
    // Requests without PII still flow to the cloud.
    expect((await ask(g)).endpoint).toBe('a');

    local.setFaults({});
    await g.runtime.health.checkAll();
    expect((await ask(g, { messages: pii })).endpoint).toBe('local');
  });

  it('fails closed when the on-prem server is gone (connection refused), with no health check needed', async () => {
    const g = await start(POLICY);
    await local.close();
    const error = await ask(g, { messages: pii }).catch((e: unknown) => e);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((error as Error).message).toMatch(/Not sent to any cloud endpoint/);
    expect(a.stats.requests + b.stats.requests).toBe(0);
    expect(g.auditRows().at(-1)).toMatchObject({ status: 503, error_code: 'upstream_unavailable', rule: 'pii-on-prem' });
  });

  it('fails closed too when the on-prem endpoint answers 5xx to the request itself', async () => {
    const g = await start(POLICY);
    local.setFaults({ errorRate: 1, errorStatus: 500 });
    await expect(ask(g, { messages: pii })).rejects.toMatchObject({ status: 503 });
    expect(a.stats.requests + b.stats.requests).toBe(0);
    expect(local.stats.errors).toBeGreaterThanOrEqual(1);
  });
});
