// Prometheus metrics (prom-client), in the names the LLM gateway field uses: request count and
// duration per provider/model/status, tokens, cost, redactions per entity type, breaker state
// and SIEM lag. Request metrics are fed by the `kagami:request:end` diagnostics channel, so the
// request path does nothing extra; breaker state and sink lag are read when scraped.
// Its own Registry, not prom-client's global one, so closing a daemon drops its series; the
// channel is process-wide, so two daemons in ONE process (tests) would count each other's requests.
import diagnostics from 'node:diagnostics_channel';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestEvent } from '../../shared/schemas/events.js';
import type { SinkStatus } from '../../shared/schemas/siem.js';
import { CHANNELS } from '../events/channels.js';

/** Seconds; LLM calls run from tens of milliseconds (cache, embeddings) to minutes (long generations). */
const DURATION_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 40, 80, 160, 320];

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

export interface MetricsSources {
  /** Circuit breakers of the routing state (absent: no policy runtime). */
  readonly breakers?: () => readonly { readonly endpoint: string; readonly state: keyof typeof BREAKER_VALUE }[];
  /** SIEM sinks' status (lag per sink). */
  readonly sinks?: () => readonly SinkStatus[];
}

export interface Metrics {
  readonly registry: Registry;
  /** The text exposition format, ready to serve. */
  render(): Promise<string>;
  readonly contentType: string;
  close(): void;
}

/**
 * The provider label, bounded by configuration: a model name a client made up (answered 404,
 * never routed) would otherwise mint a new series per request.
 */
function providerOf(event: RequestEvent): string {
  return event.provider ?? 'none';
}

function modelOf(event: RequestEvent): string {
  return event.provider === null ? 'none' : (event.requested_model ?? event.upstream_model ?? 'unknown');
}

/** One provider/model pair's series (prom-client children), made on its first request. */
interface ModelSeries {
  readonly upstreamDuration: Histogram.Internal<string>;
  readonly promptTokens: Counter.Internal;
  readonly completionTokens: Counter.Internal;
  readonly cost: Counter.Internal;
  readonly cacheHits: Counter.Internal;
  /** Per HTTP status. */
  readonly byStatus: Map<number, { readonly requests: Counter.Internal; readonly duration: Histogram.Internal<string> }>;
}

export function createMetrics(sources: MetricsSources = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const duration = new Histogram({
    name: 'llm_request_duration_seconds',
    help: 'Time from request arrival to the end of the answer, seconds',
    labelNames: ['provider', 'model', 'status'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const upstreamDuration = new Histogram({
    name: 'llm_upstream_duration_seconds',
    help: 'Time spent waiting on the upstream provider, seconds',
    labelNames: ['provider', 'model'],
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'llm_requests_total',
    help: 'Requests answered, by provider, model and HTTP status',
    labelNames: ['provider', 'model', 'status'],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'llm_tokens_total',
    help: 'Tokens reported by the upstream, by type (prompt, completion)',
    labelNames: ['provider', 'model', 'type'],
    registers: [registry],
  });
  const cost = new Counter({
    name: 'llm_cost_usd_total',
    help: 'Cost of answered requests at the configured prices, US dollars',
    labelNames: ['provider', 'model'],
    registers: [registry],
  });
  const cacheHits = new Counter({
    name: 'kagami_cache_hits_total',
    help: 'Requests answered from the response cache',
    labelNames: ['provider', 'model'],
    registers: [registry],
  });
  const redactions = new Counter({
    name: 'kagami_redactions_total',
    help: 'PII findings acted on, by entity type and action',
    labelNames: ['entity_type', 'action'],
    registers: [registry],
  });
  new Gauge({
    name: 'kagami_breaker_state',
    help: 'Circuit breaker per endpoint: 0 closed, 1 half-open, 2 open',
    labelNames: ['endpoint'],
    registers: [registry],
    collect() {
      this.reset();
      for (const breaker of sources.breakers?.() ?? []) this.set({ endpoint: breaker.endpoint }, BREAKER_VALUE[breaker.state]);
    },
  });
  new Gauge({
    name: 'kagami_siem_lag',
    help: 'Audit rows written but not yet acknowledged by the SIEM sink',
    labelNames: ['sink', 'type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const sink of sources.sinks?.() ?? []) this.set({ sink: sink.id, type: sink.type }, sink.lag);
    },
  });
  new Gauge({
    name: 'kagami_siem_failures',
    help: 'Failed deliveries in a row per SIEM sink (0 when healthy)',
    labelNames: ['sink', 'type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const sink of sources.sinks?.() ?? []) this.set({ sink: sink.id, type: sink.type }, sink.failures);
    },
  });

  // The children per label set are kept (provider → model → series): no label objects per
  // request (allocation on the request path; the label sets are bounded, see providerOf).
  const seriesByProvider = new Map<string, Map<string, ModelSeries>>();
  function seriesOf(provider: string, model: string): ModelSeries {
    let byModel = seriesByProvider.get(provider);
    if (byModel === undefined) seriesByProvider.set(provider, (byModel = new Map()));
    let series = byModel.get(model);
    if (series === undefined) {
      series = {
        upstreamDuration: upstreamDuration.labels(provider, model),
        promptTokens: tokens.labels(provider, model, 'prompt'),
        completionTokens: tokens.labels(provider, model, 'completion'),
        cost: cost.labels(provider, model),
        cacheHits: cacheHits.labels(provider, model),
        byStatus: new Map(),
      };
      byModel.set(model, series);
    }
    return series;
  }

  const onEnd = (message: unknown) => {
    const event = message as RequestEvent;
    const provider = providerOf(event);
    const model = modelOf(event);
    const series = seriesOf(provider, model);
    let byStatus = series.byStatus.get(event.status);
    if (byStatus === undefined) {
      const status = String(event.status);
      byStatus = { requests: requests.labels(provider, model, status), duration: duration.labels(provider, model, status) };
      series.byStatus.set(event.status, byStatus);
    }
    byStatus.requests.inc();
    byStatus.duration.observe(event.latency_ms / 1000);
    if (event.upstream_ms !== null) series.upstreamDuration.observe(event.upstream_ms / 1000);
    if (event.prompt_tokens) series.promptTokens.inc(event.prompt_tokens);
    if (event.completion_tokens) series.completionTokens.inc(event.completion_tokens);
    if (event.cost_usd) series.cost.inc(event.cost_usd);
    if (event.cache_hit) series.cacheHits.inc();
    for (const key in event.redactions) {
      const separator = key.lastIndexOf(':');
      const count = event.redactions[key] ?? 0;
      if (count > 0) redactions.inc({ entity_type: separator < 0 ? key : key.slice(0, separator), action: separator < 0 ? 'unknown' : key.slice(separator + 1) }, count);
    }
  };
  diagnostics.subscribe(CHANNELS.end, onEnd);

  return {
    registry,
    render: () => registry.metrics(),
    contentType: registry.contentType,
    close() {
      diagnostics.unsubscribe(CHANNELS.end, onEnd);
    },
  };
}
