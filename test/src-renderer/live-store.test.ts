import { describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../shared/schemas/events.js';
import { LiveStore, matchesFilter, percentile, requestEventOf } from '../../src-renderer/live-store.js';

const T0 = 1_700_000_000_000;

function event(i: number, patch: Partial<RequestEvent> = {}): RequestEvent {
  return {
    trace_id: `trace-${i}`,
    ts: T0 + i,
    api: 'openai.chat',
    tenant: 'acme',
    user: 'alice',
    key_id: 'k1',
    requested_model: 'gpt-4o-mini',
    provider: 'openai',
    endpoint: 'openai-us',
    upstream_model: 'gpt-4o-mini',
    rule: null,
    status: 200,
    error_code: null,
    stream: false,
    latency_ms: 10 + (i % 100),
    upstream_ms: 9,
    gateway_ms: 1,
    prompt_tokens: 10,
    completion_tokens: 5,
    total_tokens: 15,
    cost_usd: 0.001,
    cache_hit: false,
    fallbacks: [],
    redactions: {},
    decision: null,
    ...patch,
  };
}

/** A scheduler the test runs by hand: what a browser does with setTimeout + rAF. */
function manualScheduler() {
  const queue: Array<() => void> = [];
  return { schedule: (fn: () => void) => void queue.push(fn), run: () => queue.splice(0).forEach((fn) => fn()), pending: () => queue.length };
}

describe('LiveStore', () => {
  it('renders once per flush however many events arrive (200 req/s stays smooth)', () => {
    const clock = manualScheduler();
    const store = new LiveStore({ schedule: clock.schedule, now: () => T0 + 1000 });
    let notified = 0;
    store.subscribe(() => notified++);
    for (let i = 0; i < 200; i++) store.push([event(i)]);
    expect(clock.pending()).toBe(1);
    expect(notified).toBe(0);
    clock.run();
    expect(notified).toBe(1);
    expect(store.rows()).toHaveLength(200);
    expect(store.rows()[0]?.trace_id).toBe('trace-199'); // newest first
  });

  it('keeps only the newest rows up to its capacity', () => {
    const clock = manualScheduler();
    const store = new LiveStore({ schedule: clock.schedule, capacity: 100, now: () => T0 });
    store.push(Array.from({ length: 1000 }, (_, i) => event(i)));
    clock.run();
    expect(store.rows()).toHaveLength(100);
    expect(store.rows().at(-1)?.trace_id).toBe('trace-900');
    expect(store.totalSeen()).toBe(1000);
  });

  it('freezes the table while paused, counts what arrives, and shows it on resume', () => {
    const clock = manualScheduler();
    const store = new LiveStore({ schedule: clock.schedule, now: () => T0 });
    store.push([event(1)]);
    clock.run();
    store.setPaused(true);
    store.push([event(2), event(3)]);
    clock.run();
    expect(store.rows().map((e) => e.trace_id)).toEqual(['trace-1']);
    expect(store.pendingWhilePaused()).toBe(2);
    store.setPaused(false);
    clock.run();
    expect(store.rows().map((e) => e.trace_id)).toEqual(['trace-3', 'trace-2', 'trace-1']);
    expect(store.pendingWhilePaused()).toBe(0);
  });

  it('computes per-second p50/p95 and errors per provider/endpoint for the charts', () => {
    const clock = manualScheduler();
    const store = new LiveStore({ schedule: clock.schedule, windowS: 10, now: () => T0 + 5_000 });
    const events = Array.from({ length: 100 }, (_, i) => event(i, { latency_ms: i + 1, status: i < 5 ? 502 : 200 }));
    events.push(event(500, { provider: 'vllm', endpoint: 'onprem', ts: T0 + 2_000, latency_ms: 40 }));
    store.push(events);
    clock.run();
    const overall = store.series();
    expect(overall).toHaveLength(10);
    const second = overall.find((p) => p.t === Math.floor(T0 / 1000));
    expect(second).toMatchObject({ count: 100, errors: 5, p50: 50, p95: 95 });
    expect(store.groups()).toEqual(['openai / openai-us', 'vllm / onprem']);
    expect(store.series('vllm / onprem').find((p) => p.count > 0)).toMatchObject({ count: 1, p50: 40, p95: 40 });
    expect(store.rate(5)).toBeCloseTo(101 / 5);
  });

  it('drops chart buckets older than its window', () => {
    let now = T0;
    const clock = manualScheduler();
    const store = new LiveStore({ schedule: clock.schedule, windowS: 10, now: () => now });
    store.push([event(1)]);
    clock.run();
    now = T0 + 60_000;
    store.push([event(2, { ts: now })]);
    clock.run();
    expect(store.series().reduce((n, p) => n + p.count, 0)).toBe(1);
  });

  it('sums spend per tenant, model and endpoint', () => {
    const clock = manualScheduler();
    const store = new LiveStore({ schedule: clock.schedule, now: () => T0 });
    store.push([event(1, { tenant: 'a', cost_usd: 0.5 }), event(2, { tenant: 'b', cost_usd: 1.25 }), event(3, { tenant: 'a', cost_usd: 0.25, total_tokens: 5 })]);
    expect(store.spend('tenant')).toEqual([
      { key: 'b', costUsd: 1.25, requests: 1, tokens: 15 },
      { key: 'a', costUsd: 0.75, requests: 2, tokens: 20 },
    ]);
  });
});

describe('matchesFilter', () => {
  it('matches text in any shown field and the status class', () => {
    const e = event(1, { rule: 'pii-onprem', status: 429, error_code: 'rate_limit_exceeded' });
    expect(matchesFilter(e, { text: 'PII-ON', status: 'all' })).toBe(true);
    expect(matchesFilter(e, { text: 'alice', status: 'error' })).toBe(true);
    expect(matchesFilter(e, { text: '', status: 'ok' })).toBe(false);
    expect(matchesFilter(e, { text: 'bob', status: 'all' })).toBe(false);
  });
});

describe('percentile', () => {
  it('uses nearest rank', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([5], 95)).toBe(5);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 95)).toBe(4);
  });
});

describe('LiveStore.seed (history from the audit trail)', () => {
  it('merges earlier requests under the live ones in time order, without duplicates', () => {
    const clock = manualScheduler();
    const store = new LiveStore({ schedule: clock.schedule, now: () => T0 + 1000 });
    store.push([event(50), event(60)]);
    // The audit page comes newest first and overlaps what the stream already delivered.
    store.seed([event(60), event(40), event(10)]);
    clock.run();
    expect(store.rows().map((e) => e.trace_id)).toEqual(['trace-60', 'trace-50', 'trace-40', 'trace-10']);
    expect(store.series().reduce((n, p) => n + p.count, 0)).toBe(4);
    // Spend stays what arrived while the page was open.
    expect(store.spend('tenant')[0]?.requests).toBe(2);
    store.seed([event(10), event(40)]);
    clock.run();
    expect(store.rows()).toHaveLength(4);
  });

  it('takes a request once whether the audit trail or the stream brings it first', () => {
    const clock = manualScheduler();
    const store = new LiveStore({ schedule: clock.schedule, now: () => T0 });
    store.seed([event(5)]); // after the page opened: counts as spend too
    store.push([event(5), event(6)]);
    clock.run();
    expect(store.rows().map((e) => e.trace_id)).toEqual(['trace-6', 'trace-5']);
    expect(store.spend('tenant')[0]?.requests).toBe(2);
    expect(store.totalSeen()).toBe(1);
  });

  it('does not bring back what the user cleared', () => {
    const clock = manualScheduler();
    let now = T0 + 1000;
    const store = new LiveStore({ schedule: clock.schedule, now: () => now });
    store.push([event(1)]);
    store.clear();
    now += 10;
    store.seed([event(1), event(2000)]);
    clock.run();
    expect(store.rows().map((e) => e.trace_id)).toEqual(['trace-2000']);
  });

  it('turns an audit row into the event the stream would have sent', () => {
    const row = { ...event(7), seq: 3, prev_hash: '0'.repeat(64), hash: 'a'.repeat(64), request_sha256: 'b'.repeat(64), response_sha256: null };
    expect(requestEventOf(row)).toEqual(event(7));
  });
});
