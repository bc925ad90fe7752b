// Sends finished spans to an OpenTelemetry collector as OTLP/HTTP JSON (POST /v1/traces, one
// ExportTraceServiceRequest per batch). Hand-rolled on undici rather than the
// @opentelemetry/* SDK: the encoding is ~30 lines (shared with the OTLP logs sink in
// daemon/siem/otlp-json.ts), and the SDK would add its context manager, a dozen packages and
// its own batching to the request path for the one exporter we need.
//
// Traces are best-effort, unlike the audit trail: spans wait in a bounded queue (the oldest are
// dropped and counted beyond it), a failed export is dropped and logged, and nothing here
// ever blocks or fails a request.
import { request } from 'undici';
import { attributes, type KeyValue } from '../siem/otlp-json.js';

/** One finished span, in OTLP JSON field names and encodings. */
export interface OtlpSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** SPAN_KIND_INTERNAL 1, SERVER 2, CLIENT 3. */
  readonly kind: 1 | 2 | 3;
  readonly startTimeUnixNano: string;
  readonly endTimeUnixNano: string;
  readonly attributes: KeyValue[];
  /** STATUS_CODE_UNSET 0, OK 1, ERROR 2. */
  readonly status: { readonly code: 0 | 1 | 2; readonly message?: string };
}

export interface TraceExporterOptions {
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  readonly serviceVersion: string;
  readonly batchSize: number;
  readonly flushMs: number;
  /** Queue bound; past it the oldest spans are dropped. */
  readonly maxQueue?: number;
  readonly log: (message: string) => void;
}

export interface TraceExporter {
  export(span: OtlpSpan): void;
  /** Sends everything queued now. */
  flush(): Promise<void>;
  /** Spans dropped (queue full or export failed), for status and tests. */
  dropped(): number;
  close(): Promise<void>;
}

export function createTraceExporter(options: TraceExporterOptions): TraceExporter {
  const maxQueue = options.maxQueue ?? 8192;
  const resource = { attributes: attributes({ 'service.name': options.serviceName, 'service.version': options.serviceVersion, 'telemetry.sdk.name': 'kagami', 'telemetry.sdk.language': 'nodejs' }) };
  const scope = { name: 'kagami', version: options.serviceVersion };
  let queue: OtlpSpan[] = [];
  let dropped = 0;
  let sending: Promise<void> = Promise.resolve();
  let lastLogged = 0;

  async function send(spans: readonly OtlpSpan[]): Promise<void> {
    const body = JSON.stringify({ resourceSpans: [{ resource, scopeSpans: [{ scope, spans }] }] });
    try {
      const response = await request(options.endpoint, {
        method: 'POST',
        headers: { ...options.headers, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      const text = await response.body.text();
      if (response.statusCode >= 300) throw new Error(`${options.endpoint} answered ${response.statusCode}: ${text.slice(0, 200)}`);
    } catch (error) {
      dropped += spans.length;
      const now = Date.now();
      if (now - lastLogged > 60_000) {
        lastLogged = now;
        options.log(`kagami: trace export failed, ${spans.length} spans dropped: ${(error as Error).message}`);
      }
    }
  }

  function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, options.batchSize);
      queue = queue.slice(batch.length);
      sending = sending.then(() => send(batch));
    }
    return sending;
  }

  const timer = setInterval(() => void flush(), options.flushMs);
  timer.unref();

  return {
    export(span) {
      queue.push(span);
      if (queue.length > maxQueue) {
        dropped += queue.length - maxQueue;
        queue = queue.slice(queue.length - maxQueue);
      }
      if (queue.length >= options.batchSize) void flush();
    },
    flush,
    dropped: () => dropped,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
