// The trace exporter's best-effort rules against a local collector: batches of at most
// batch_size, a refused export dropped and logged (once a minute, not per batch), and a
// bounded queue that drops the oldest spans rather than growing.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTraceExporter, type OtlpSpan, type TraceExporter } from '../../../daemon/tracing/otlp-trace-exporter.js';
import { HttpReceiver } from '../siem/http-receiver.js';
import { otlpJsonErrors } from '../siem/otlp-proto-json.js';

const span = (n: number): OtlpSpan => ({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
  spanId: n.toString(16).padStart(16, '0'),
  name: `span ${n}`,
  kind: 1,
  startTimeUnixNano: '1760000000000000000',
  endTimeUnixNano: '1760000000001000000',
  attributes: [],
  status: { code: 0 },
});

const namesIn = (body: string) =>
  (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans[0]!.scopeSpans[0]!.spans.map((s) => s.name);

describe('createTraceExporter', () => {
  let collector: HttpReceiver;
  let exporter: TraceExporter | null = null;
  const logs: string[] = [];

  beforeEach(async () => {
    collector = await HttpReceiver.start();
    logs.length = 0;
  });
  afterEach(async () => {
    await exporter?.close();
    exporter = null;
    await collector.close();
  });

  const create = (overrides: { batchSize?: number; maxQueue?: number } = {}) =>
    (exporter = createTraceExporter({
      endpoint: `${collector.url}/v1/traces`, headers: { 'x-key': 'k' }, serviceName: 'kagami-test', serviceVersion: '1.2.3',
      batchSize: overrides.batchSize ?? 3, flushMs: 60_000, maxQueue: overrides.maxQueue ?? 100, log: (line) => logs.push(line),
    }));

  it('sends valid OTLP JSON in batches of at most batch_size, in order', async () => {
    const traces = create();
    for (let n = 1; n <= 7; n++) traces.export(span(n));
    await traces.flush();
    expect(collector.requests.map((request) => namesIn(request.body))).toEqual([['span 1', 'span 2', 'span 3'], ['span 4', 'span 5', 'span 6'], ['span 7']]);
    const [first] = collector.requests;
    expect(first).toMatchObject({ method: 'POST', path: '/v1/traces', headers: { 'content-type': 'application/json', 'x-key': 'k' } });
    const body = JSON.parse(first!.body) as Record<string, unknown>;
    expect(otlpJsonErrors('ExportTraceServiceRequest', body)).toEqual([]);
    expect(JSON.stringify(body)).toContain('{"key":"service.name","value":{"stringValue":"kagami-test"}}');
  });

  it('drops what the collector refuses and says so once, not per batch', async () => {
    collector.handler = () => ({ status: 503, body: 'overloaded' });
    const traces = create();
    for (let n = 1; n <= 9; n++) traces.export(span(n));
    await traces.flush();
    expect(collector.requests).toHaveLength(3);
    expect(traces.dropped()).toBe(9);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/trace export failed, 3 spans dropped: .* answered 503: overloaded/);
  });

  it('keeps a bounded queue, dropping the oldest spans', async () => {
    const traces = create({ batchSize: 1000, maxQueue: 5 });
    for (let n = 1; n <= 8; n++) traces.export(span(n));
    expect(traces.dropped()).toBe(3);
    await traces.flush();
    expect(namesIn(collector.requests[0]!.body)).toEqual(['span 4', 'span 5', 'span 6', 'span 7', 'span 8']);
  });
});
