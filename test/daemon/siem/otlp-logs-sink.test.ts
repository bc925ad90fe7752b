import { describe, expect, it } from 'vitest';
import { createSink } from '../../../daemon/siem/sinks.js';
import { otlpJsonErrors } from './otlp-proto-json.js';
import { describeSinkContract, useSinkContext } from './sink-contract.js';
import { testSinkDeps } from './sink-deps.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const records = (body: string): Json[] => (JSON.parse(body) as Json).resourceLogs[0].scopeLogs[0].logRecords;
const attribute = (record: Json, key: string) => (record.attributes as Json[]).find((a) => a.key === key)?.value;

describeSinkContract('otlp_logs', {
  create: (url, deps) => createSink({ type: 'otlp_logs', id: 'otel', url: `${url}/v1/logs` }, deps),
  idsIn: (request) => records(request.body).map((record) => attribute(record, 'event.id').stringValue as string),
  accept: () => ({ status: 200, body: '{}' }),
});

describe('otlp_logs sink wire format', () => {
  const context = useSinkContext();

  it('POSTs an ExportLogsServiceRequest that follows the OTLP proto JSON mapping exactly', async () => {
    const events = await context.events(2);
    context.receiver.handler = () => ({ status: 200, body: '{"partialSuccess":{}}' });
    await createSink({ type: 'otlp_logs', id: 'otel', url: `${context.receiver.url}/v1/logs`, headers: { Authorization: { env: 'TOKEN' } } }, testSinkDeps({ TOKEN: 'Bearer abc' })).send(events, AbortSignal.timeout(5000));
    const [request] = context.receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/logs' });
    expect(request!.headers).toMatchObject({ 'content-type': 'application/json', authorization: 'Bearer abc' });
    const body = JSON.parse(request!.body) as Json;
    expect(otlpJsonErrors('ExportLogsServiceRequest', body)).toEqual([]);

    const resource = body.resourceLogs[0].resource.attributes as Json[];
    expect(resource).toContainEqual({ key: 'service.name', value: { stringValue: 'kagami' } });
    const [first, , redaction, admin] = records(request!.body);
    expect(first).toMatchObject({
      timeUnixNano: '1760000000000000000',
      severityNumber: 9,
      severityText: 'INFO',
      eventName: 'kagami.llm.request',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    });
    expect(attribute(first!, 'kagami.seq')).toEqual({ intValue: '1' });
    expect(attribute(first!, 'kagami.latency_ms')).toEqual({ doubleValue: 812.25 });
    expect(attribute(first!, 'kagami.stream')).toEqual({ boolValue: false });
    expect(attribute(first!, 'gen_ai.usage.input_tokens')).toEqual({ intValue: '12' });
    expect(attribute(first!, 'kagami.redactions')).toEqual({ kvlistValue: { values: [{ key: 'EMAIL:mask', value: { intValue: '1' } }] } });
    expect(attribute(first!, 'kagami.error_code')).toBeUndefined(); // null: left out, OTLP has no null
    expect(redaction).toMatchObject({ severityNumber: 10, eventName: 'kagami.pii.redaction' });
    expect(attribute(admin!, 'kagami.details')).toEqual({ stringValue: '{"key_id":"k1"}' });
    expect(admin!.traceId).toBeUndefined();
  });

  it('the checker itself rejects what the mapping forbids', () => {
    const bad = { resourceLogs: [{ scopeLogs: [{ logRecords: [{ time_unix_nano: '1', timeUnixNano: 1, traceId: 'S/qsmC3f', severityNumber: 'INFO', body: { stringValue: 'a', intValue: '1' } }] }] }] };
    const errors = otlpJsonErrors('ExportLogsServiceRequest', bad);
    expect(errors).toEqual(expect.arrayContaining([
      expect.stringContaining('time_unix_nano: no such field'),
      expect.stringContaining('timeUnixNano: expected a fixed64 as a decimal string'),
      expect.stringContaining('traceId: expected 32 lower-case hex digits'),
      expect.stringContaining('severityNumber: expected a non-negative integer'),
      expect.stringContaining('AnyValue must set exactly one member'),
    ]));
  });

  it('fails the batch when the collector reports rejected records', async () => {
    const events = await context.events(1);
    context.receiver.handler = () => ({ status: 200, body: '{"partialSuccess":{"rejectedLogRecords":"2","errorMessage":"too old"}}' });
    const sink = createSink({ type: 'otlp_logs', id: 'otel', url: `${context.receiver.url}/v1/logs` }, testSinkDeps());
    await expect(sink.send(events, AbortSignal.timeout(5000))).rejects.toThrow('collector rejected 2 log records: too old');
  });
});
