import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../shared/errors.js';
import type { RequestContext } from '../../../daemon/pipeline/context.js';
import { createRoutingAttemptPolicy } from '../../../daemon/routing/attempt-policy.js';
import { createRoutingState } from '../../../daemon/routing/routing-state.js';
import { BreakerRegistry } from '../../../daemon/routing/circuit-breaker.js';
import { LatencyTracker, percentile } from '../../../daemon/routing/latency-tracker.js';
import { backoffDelayMs, parseRetryAfterMs, RetryBudget } from '../../../daemon/routing/retry.js';
import { drawWeighted, rankCandidates, seededRandom } from '../../../daemon/routing/strategies.js';
import { estimatePromptTokens, expectedCompletionTokens } from '../../../daemon/routing/token-estimate.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('CircuitBreaker', () => {
  it('opens after consecutive failures, lets one probe through after the cool-down, and closes on success', () => {
    const c = clock();
    const breakers = new BreakerRegistry({ consecutiveFailures: 3, coolDownMs: 10_000, now: c.now });
    const b = breakers.get('a');
    for (let i = 0; i < 2; i++) b.recordFailure();
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.status().state).toBe('open');
    expect(b.tryAcquire()).toBe(false);
    c.advance(9_999);
    expect(b.tryAcquire()).toBe(false);
    c.advance(1);
    expect(breakers.stateOf('a')).toBe('half_open');
    expect(b.tryAcquire()).toBe(true); // the probe
    expect(b.tryAcquire()).toBe(false); // only one
    b.recordSuccess();
    expect(b.status().state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
  });

  it('re-opens when the probe fails', () => {
    const c = clock();
    const b = new BreakerRegistry({ consecutiveFailures: 1, coolDownMs: 1000, now: c.now }).get('a');
    b.recordFailure();
    c.advance(1000);
    expect(b.tryAcquire()).toBe(true);
    b.recordFailure();
    expect(b.status()).toMatchObject({ state: 'open', opens: 2, retryAt: c.now() + 1000 });
  });

  it('opens on the failure ratio over its window', () => {
    const b = new BreakerRegistry({ consecutiveFailures: 100, failureRatio: 0.5, window: 10, minSamples: 10, now: clock().now }).get('a');
    for (let i = 0; i < 9; i++) {
      if (i % 2 === 0) b.recordFailure();
      else b.recordSuccess();
    }
    expect(b.status().state).toBe('closed'); // 5/9, below minSamples
    b.recordSuccess(); // 5/10 = 0.5 but success does not trip
    b.recordFailure(); // window of 10: 5 failures of 10
    expect(b.status().state).toBe('open');
  });

  it('frees a probe slot its client abandoned once a cool-down passed', () => {
    const c = clock();
    const b = new BreakerRegistry({ consecutiveFailures: 1, coolDownMs: 1000, now: c.now }).get('a');
    b.recordFailure();
    c.advance(1000);
    expect(b.tryAcquire()).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    c.advance(1000);
    expect(b.tryAcquire()).toBe(true);
  });
});

describe('LatencyTracker', () => {
  it('keeps an EWMA and windowed percentiles', () => {
    const c = clock();
    const t = new LatencyTracker({ alpha: 0.5, windowMs: 60_000, now: c.now });
    t.record('a', 100);
    t.record('a', 200);
    expect(t.ewma('a')).toBe(150);
    for (let i = 1; i <= 100; i++) t.record('b', i);
    expect(t.snapshot('b')).toMatchObject({ samples: 100, p50Ms: 50, p95Ms: 95 });
    c.advance(61_000);
    t.record('b', 1000);
    expect(t.snapshot('b')).toMatchObject({ samples: 1, p50Ms: 1000, p95Ms: 1000 });
    expect(t.snapshot('none')).toEqual({ samples: 0, ewmaMs: null, p50Ms: null, p95Ms: null });
    expect(percentile([], 0.5)).toBeNull();
  });
});

describe('retries', () => {
  it('backs off exponentially with full jitter, capped', () => {
    expect(backoffDelayMs(0, () => 0.999, { baseMs: 100 })).toBe(99);
    expect(backoffDelayMs(3, () => 0.5, { baseMs: 100 })).toBe(400);
    expect(backoffDelayMs(20, () => 0.999, { baseMs: 100, maxMs: 2000 })).toBe(1998);
    expect(backoffDelayMs(5, () => 0, {})).toBe(0);
  });

  it('reads retry-after in seconds, HTTP dates and retry-after-ms', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseRetryAfterMs({ 'retry-after': '2' }, now)).toBe(2000);
    expect(parseRetryAfterMs({ 'retry-after': new Date(now + 5000).toUTCString() }, now)).toBe(5000);
    expect(parseRetryAfterMs({ 'retry-after-ms': '250' }, now)).toBe(250);
    expect(parseRetryAfterMs({ 'retry-after': 'soon' }, now)).toBeNull();
    expect(parseRetryAfterMs({}, now)).toBeNull();
  });

  it('bounds retries to a share of requests over the window', () => {
    const c = clock();
    const budget = new RetryBudget({ ratio: 0.2, minRetries: 2, windowMs: 10_000, now: c.now });
    for (let i = 0; i < 100; i++) budget.recordRequest();
    let granted = 0;
    for (let i = 0; i < 100; i++) if (budget.tryRetry()) granted++;
    expect(granted).toBe(20);
    c.advance(11_000);
    expect(budget.totals()).toEqual({ requests: 0, retries: 0 });
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false); // minRetries on a quiet window
  });
});

describe('routing attempt policy', () => {
  const target = { endpoint: 'a', provider: 'p', upstreamModel: 'm' };
  function context(signal = new AbortController().signal): RequestContext {
    return {
      traceId: 't',
      traceparent: 'p',
      receivedAt: 0,
      startedAt: 0,
      api: 'openai.chat',
      request: { op: 'chat', body: { model: 'x' } },
      headers: {},
      signal,
      dataClasses: new Set(),
      candidates: [],
      responseHeaders: {},
      annotations: {},
    };
  }

  it('waits only before re-trying an endpoint, at least its own retry-after, and records the waits', async () => {
    const c = clock();
    const waits: number[] = [];
    const policy = createRoutingAttemptPolicy(createRoutingState({ now: c.now, random: () => 0.5 }), {
      backoff: { baseMs: 100 },
      sleep: async (ms) => void waits.push(ms),
    });
    const ctx = context();
    const limited = new GatewayError('upstream_rejected', 'slow down', { status: 429, headers: { 'retry-after': '3' } });
    const b = { ...target, endpoint: 'b' };
    expect(policy.admit(target, ctx)).toBe(true);
    policy.record(target, { ok: false, latencyMs: 5, error: limited }, ctx);
    await policy.beforeAttempt?.(b, 2, limited, ctx); // another endpoint: at once
    policy.record(b, { ok: false, latencyMs: 5, error: new GatewayError('upstream_error', 'boom') }, ctx);
    expect(policy.admit(target, ctx)).toBe(true);
    await policy.beforeAttempt?.(target, 3, undefined, ctx); // a again: backoff 0.5 × 200 = 100 < its retry-after 3 s
    await policy.beforeAttempt?.(b, 4, undefined, ctx); // b again: backoff only, 0.5 × 400
    expect(waits).toEqual([3000, 200]);
    expect(ctx.annotations.routing).toMatchObject({ backoffMs: [3000, 200], retryAfter: { a: c.now() + 3000 } });
  });

  it('does not ask an endpoint again in the request when its retry-after is beyond the cap', () => {
    const c = clock();
    const policy = createRoutingAttemptPolicy(createRoutingState({ now: c.now }), { maxRetryAfterMs: 10_000 });
    const ctx = context();
    policy.admit(target, ctx);
    policy.record(target, { ok: false, latencyMs: 5, error: new GatewayError('upstream_rejected', 'later', { status: 429, headers: { 'retry-after': '60' } }) }, ctx);
    expect(policy.admit(target, ctx)).toBe(false);
    expect(ctx.annotations.routing).toMatchObject({ skipped: [{ endpoint: 'a', reason: 'retry_after' }] });
    expect(policy.admit({ ...target, endpoint: 'b' }, ctx)).toBe(true);
    expect(policy.admit(target, context())).toBe(true); // another request: the breaker decides
  });

  it('gives up waiting when the client goes away (client_disconnected)', async () => {
    const controller = new AbortController();
    const policy = createRoutingAttemptPolicy(createRoutingState({ random: () => 0.9 }), { backoff: { baseMs: 60_000, maxMs: 60_000 } });
    const ctx = context(controller.signal);
    policy.record(target, { ok: false, latencyMs: 1, error: new GatewayError('upstream_error', 'boom') }, ctx);
    const waiting = policy.beforeAttempt?.(target, 2, undefined, ctx);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'client_disconnected' });
  });
});

describe('strategies', () => {
  const candidates = [
    { endpoint: 'pricey-fast', price: { input_per_1m: 10, output_per_1m: 30 }, latencyMs: 100, p95Ms: 150, available: true },
    { endpoint: 'cheap-slow', price: { input_per_1m: 0.1, output_per_1m: 0.2 }, latencyMs: 2000, p95Ms: 2500, available: true },
    { endpoint: 'middle', price: { input_per_1m: 1, output_per_1m: 2 }, latencyMs: 400, p95Ms: 500, available: true },
  ];
  const opts = { promptTokens: 1000, completionTokens: 200, latencyWeight: 0.5, sloMs: null };

  it('orders by cost, latency, or a weighted blend', () => {
    expect(rankCandidates('cheapest', candidates, opts).map((c) => c.endpoint)).toEqual(['cheap-slow', 'middle', 'pricey-fast']);
    expect(rankCandidates('fastest', candidates, opts).map((c) => c.endpoint)).toEqual(['pricey-fast', 'middle', 'cheap-slow']);
    expect(rankCandidates('cost_latency', candidates, opts).map((c) => c.endpoint)[0]).toBe('middle');
    expect(rankCandidates('cost_latency', candidates, { ...opts, latencyWeight: 0 }).map((c) => c.endpoint)[0]).toBe('cheap-slow');
  });

  it('puts SLO violators and unavailable endpoints last', () => {
    const ranked = rankCandidates('cheapest', candidates, { ...opts, sloMs: 600 });
    expect(ranked.map((c) => [c.endpoint, c.withinSlo])).toEqual([['middle', true], ['pricey-fast', true], ['cheap-slow', false]]);
    const down = rankCandidates('fastest', candidates.map((c) => (c.endpoint === 'pricey-fast' ? { ...c, available: false } : c)), opts);
    expect(down.at(-1)?.endpoint).toBe('pricey-fast');
  });

  it('draws weighted targets reproducibly from a seed', () => {
    const targets = [{ endpoint: 'a', weight: 1 }, { endpoint: 'b', weight: 9 }];
    const r = seededRandom(3);
    let a = 0;
    for (let i = 0; i < 20_000; i++) if (drawWeighted(targets, 10, r)[0] === 'a') a++;
    expect(a / 20_000).toBeGreaterThan(0.09);
    expect(a / 20_000).toBeLessThan(0.11);
    expect(drawWeighted(targets, 10, () => 0.05)).toEqual(['a', 'b']);
    expect(drawWeighted(targets, 10, () => 0.5)).toEqual(['b', 'a']);
  });
});

describe('token estimates', () => {
  it('counts chat tokens with the o200k tokenizer, not length/4', () => {
    const body = { model: 'm', messages: [{ role: 'user', content: 'Hello, world!' }] };
    // "Hello, world!" is 4 tokens in o200k_base; + 3 per message + 3 priming.
    expect(estimatePromptTokens(body)).toBe(10);
    expect(estimatePromptTokens({ model: 'm', input: ['こんにちは世界', 'hi'] })).toBeGreaterThan(2);
    expect(expectedCompletionTokens({ max_tokens: 50 })).toBe(50);
    expect(expectedCompletionTokens({ messages: [] })).toBe(256);
    expect(expectedCompletionTokens({ input: 'x' })).toBe(0);
  });
});
