// The `telemetry:` config block: OpenTelemetry traces of every request (one server span with
// child spans for auth, policy, limits, redaction, cache, routing and the upstream call),
// exported as OTLP/HTTP JSON to a collector. Absent: no spans are made at all.
import Type from 'typebox';
import { SecretRef } from './secret-ref.js';

export const TracesConfig = Type.Object(
  {
    /** Full OTLP/HTTP traces URL, e.g. http://127.0.0.1:4318/v1/traces */
    endpoint: Type.String({ format: 'uri', pattern: '^https?://' }),
    /** Extra headers (values may be secrets), e.g. a collector's API key. */
    headers: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), SecretRef]))),
    /** service.name of the exported resource. */
    service_name: Type.String({ minLength: 1, default: 'kagami' }),
    /** Spans per export request at most. */
    batch_size: Type.Integer({ minimum: 1, maximum: 10_000, default: 512 }),
    /** How often queued spans are exported, ms. */
    flush_ms: Type.Integer({ minimum: 10, default: 1000 }),
  },
  { additionalProperties: false },
);
export type TracesConfig = Type.Static<typeof TracesConfig>;

export const TelemetryConfig = Type.Object(
  {
    traces: Type.Optional(TracesConfig),
  },
  { additionalProperties: false, default: {} },
);
export type TelemetryConfig = Type.Static<typeof TelemetryConfig>;
