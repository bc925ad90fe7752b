// Tracing as the daemon starts it: nothing at all without `telemetry.traces` in the config;
// with it, the OTLP exporter and the tracer whose traceStage() buildApp hands the pipeline.
import type { TelemetryConfig } from '../../shared/schemas/telemetry.js';
import type { Stage } from '../pipeline/context.js';
import { describeSecretRef, readSecret } from '../secrets/read-secret.js';
import { createTraceExporter } from './otlp-trace-exporter.js';
import { createTracer } from './tracer.js';

export interface Tracing {
  readonly traceStage: (stage: Stage, index: number) => Stage;
  close(): Promise<void>;
}

export interface TracingDeps {
  readonly version: string;
  readonly log: (message: string) => void;
}

export function startTracing(telemetry: TelemetryConfig | undefined, deps: TracingDeps): Tracing | null {
  const traces = telemetry?.traces;
  if (traces === undefined) return null;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(traces.headers ?? {})) {
    const resolved = typeof value === 'string' ? value : readSecret(value);
    if (resolved === null) throw new Error(`telemetry.traces.headers.${name}: ${describeSecretRef(value as Exclude<typeof value, string>)} is not set`);
    headers[name.toLowerCase()] = resolved;
  }
  const exporter = createTraceExporter({
    endpoint: traces.endpoint,
    headers,
    serviceName: traces.service_name,
    serviceVersion: deps.version,
    batchSize: traces.batch_size,
    flushMs: traces.flush_ms,
    log: deps.log,
  });
  const tracer = createTracer(exporter);
  return { traceStage: tracer.traceStage, close: () => exporter.close() };
}
