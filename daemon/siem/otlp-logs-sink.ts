// OTLP logs over HTTP/JSON (POST <collector>/v1/logs): one LogRecord per trail event, in one
// ExportLogsServiceRequest per batch. The event id is the `event.id` attribute (collectors and
// backends de-duplicate on it); the request's W3C trace id is the record's traceId, so the
// audit record sits next to the request's spans.
import type { AuditRow, RedactionRow } from '../../shared/schemas/audit.js';
import type { OtlpLogsSinkConfig } from '../../shared/schemas/siem.js';
import { createSinkHttpClient } from './http-delivery.js';
import { attributes, isTraceId, unixNano, type KeyValue } from './otlp-json.js';
import { resolveHeaders } from './sink-headers.js';
import { DeliveryError, actionOf, severityOf, type SiemEvent, type SinkDefinition } from './sink.js';

/** OTel SeverityNumber for the syslog level we use. */
const SEVERITY_NUMBER: Record<string, number> = { INFO: 9, NOTICE: 10, WARN: 13, ERROR: 17 };

export function toLogRecord(event: SiemEvent, observedMs: number): Record<string, unknown> {
  const severity = severityOf(event);
  const record = event.record as Record<string, unknown>;
  const semantic: Record<string, unknown> = {};
  if (event.kind === 'request') {
    const r = event.record as AuditRow;
    Object.assign(semantic, {
      'gen_ai.system': r.provider,
      'gen_ai.request.model': r.requested_model,
      'gen_ai.response.model': r.upstream_model,
      'gen_ai.usage.input_tokens': r.prompt_tokens,
      'gen_ai.usage.output_tokens': r.completion_tokens,
      'http.response.status_code': r.status,
      'user.id': r.user,
    });
  }
  const own: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    own[`kagami.${key}`] = key === 'decision' || key === 'details' ? (value === null ? null : JSON.stringify(value)) : value;
  }
  const traceId = (event.record as Partial<RedactionRow>).trace_id;
  return {
    timeUnixNano: unixNano(event.ts),
    observedTimeUnixNano: unixNano(observedMs),
    severityNumber: SEVERITY_NUMBER[severity.text] ?? 9,
    severityText: severity.text,
    eventName: `kagami.${actionOf(event)}`,
    body: { stringValue: `${actionOf(event)} ${event.kind} seq ${event.seq}` },
    attributes: [
      { key: 'event.id', value: { stringValue: event.id } },
      { key: 'kagami.kind', value: { stringValue: event.kind } },
      ...attributes(semantic),
      ...attributes(own),
    ] satisfies KeyValue[],
    ...(isTraceId(traceId) ? { traceId } : {}),
  };
}

export const otlpLogsSink: SinkDefinition<OtlpLogsSinkConfig> = {
  type: 'otlp_logs',
  create(config, deps) {
    const http = createSinkHttpClient(config.tls, deps);
    const headers = { ...resolveHeaders(config.headers, deps), 'content-type': 'application/json' };
    const resource = {
      attributes: attributes({ 'service.name': config.service_name ?? 'kagami', 'service.version': deps.version, 'host.name': deps.hostname }),
    };
    return {
      id: config.id,
      type: 'otlp_logs',
      async send(events, signal) {
        const observed = Date.now();
        const body = JSON.stringify({
          resourceLogs: [
            {
              resource,
              scopeLogs: [{ scope: { name: 'kagami.audit', version: deps.version }, logRecords: events.map((event) => toLogRecord(event, observed)) }],
            },
          ],
        });
        const answer = await http.post(config.url, headers, body, signal);
        // A partial success names how many records the collector dropped: that batch is not delivered.
        const parsed = answer.text === '' ? {} : (JSON.parse(answer.text) as { partialSuccess?: { rejectedLogRecords?: string | number; errorMessage?: string } });
        const rejected = Number(parsed.partialSuccess?.rejectedLogRecords ?? 0);
        if (rejected > 0) throw new DeliveryError(`collector rejected ${rejected} log records: ${parsed.partialSuccess?.errorMessage ?? ''}`);
      },
      close: () => http.close(),
    };
  },
};
