// The Prometheus registry fed by `kagami:request:end`: what each request event adds, breaker
// state and SIEM lag read at scrape time, and label values bounded by configuration.
// (Counts after real requests through the daemon: test/daemon/audit/daemon-trail.test.ts.)
import diagnostics from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import type { RequestEvent } from '../../../shared/schemas/events.js';
import type { SinkStatus } from '../../../shared/schemas/siem.js';
import { CHANNELS } from '../../../daemon/events/channels.js';
import { createMetrics, type Metrics } from '../../../daemon/metrics/metrics.js';

const event = (overrides: Partial<RequestEvent> = {}): RequestEvent => ({
  trace_id: 't', ts: 0, api: 'openai.chat', tenant: 'acme', user: 'alice', key_id: 'k', requested_model: 'chat',
  provider: 'openai', endpoint: 'chat', upstream_model: 'gpt-4o-mini', rule: null, status: 200, error_code: null,
  stream: false, latency_ms: 300, upstream_ms: 280, gateway_ms: 20, prompt_tokens: 10, completion_tokens: 5,
  total_tokens: 15, cost_usd: 0.001, cache_hit: false, fallbacks: [], redactions: {}, decision: null, ...overrides,
});

const sink = (lag: number): SinkStatus => ({ id: 'splunk', type: 'splunk_hec', cursor: 0, lag, last_delivered_at: null, last_error: null, last_error_at: null, failures: 3, retry_at: null });

describe('createMetrics', () => {
  let metrics: Metrics | null = null;
  afterEach(() => metrics?.close());

  const value = (text: string, series: string) => Number(new RegExp(`^${series.replace(/[{}"|.]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

  it('counts requests, durations, tokens, cost and redactions per entity type', async () => {
    metrics = createMetrics();
    const end = diagnostics.channel(CHANNELS.end);
    end.publish(event({ redactions: { 'EMAIL:mask': 2, 'PHONE:pseudonymize': 1 } }));
    end.publish(event({ status: 502, error_code: 'upstream_error', latency_ms: 2000, prompt_tokens: null, completion_tokens: null, cost_usd: null, redactions: { 'EMAIL:mask': 1 } }));
    const text = await metrics.render();
    expect(value(text, 'llm_requests_total{provider="openai",model="chat",status="200"}')).toBe(1);
    expect(value(text, 'llm_requests_total{provider="openai",model="chat",status="502"}')).toBe(1);
    expect(value(text, 'llm_request_duration_seconds_bucket{le="0.5",provider="openai",model="chat",status="200"}')).toBe(1);
    expect(value(text, 'llm_request_duration_seconds_bucket{le="1",provider="openai",model="chat",status="502"}')).toBe(0);
    expect(value(text, 'llm_request_duration_seconds_sum{provider="openai",model="chat",status="502"}')).toBe(2);
    expect(value(text, 'llm_tokens_total{provider="openai",model="chat",type="prompt"}')).toBe(10);
    expect(value(text, 'llm_tokens_total{provider="openai",model="chat",type="completion"}')).toBe(5);
    expect(value(text, 'llm_cost_usd_total{provider="openai",model="chat"}')).toBe(0.001);
    expect(value(text, 'kagami_redactions_total{entity_type="EMAIL",action="mask"}')).toBe(3);
    expect(value(text, 'kagami_redactions_total{entity_type="PHONE",action="pseudonymize"}')).toBe(1);
  });

  it('labels a request that never reached a provider without the model name the client made up', async () => {
    metrics = createMetrics();
    diagnostics.channel(CHANNELS.end).publish(event({ provider: null, requested_model: 'x'.repeat(40), status: 404, error_code: 'model_not_found' }));
    const text = await metrics.render();
    expect(value(text, 'llm_requests_total{provider="none",model="none",status="404"}')).toBe(1);
    expect(text).not.toContain('x'.repeat(40));
  });

  it('reads breaker state and SIEM lag when scraped', async () => {
    let breakers: { endpoint: string; state: 'closed' | 'open' | 'half_open' }[] = [{ endpoint: 'azure-east', state: 'open' }];
    let lag = 42;
    metrics = createMetrics({ breakers: () => breakers, sinks: () => [sink(lag)] });
    let text = await metrics.render();
    expect(value(text, 'kagami_breaker_state{endpoint="azure-east"}')).toBe(2);
    expect(value(text, 'kagami_siem_lag{sink="splunk",type="splunk_hec"}')).toBe(42);
    expect(value(text, 'kagami_siem_failures{sink="splunk",type="splunk_hec"}')).toBe(3);
    breakers = [{ endpoint: 'azure-east', state: 'half_open' }];
    lag = 0;
    text = await metrics.render();
    expect(value(text, 'kagami_breaker_state{endpoint="azure-east"}')).toBe(1);
    expect(value(text, 'kagami_siem_lag{sink="splunk",type="splunk_hec"}')).toBe(0);
  });

  it('stops counting once closed', async () => {
    metrics = createMetrics();
    metrics.close();
    diagnostics.channel(CHANNELS.end).publish(event());
    expect(await metrics.render()).not.toMatch(/^llm_requests_total\{/m);
  });
});
