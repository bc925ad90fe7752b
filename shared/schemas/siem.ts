// The `siem:` config block (where the audit trail is shipped) and the sink status reported by
// GET /admin/siem/status and `kagami siem status`. Each sink type has its own object; adding a
// sink type is its schema here plus its module in daemon/siem/ and one line in its registry.
import Type from 'typebox';
import { SecretRef } from './secret-ref.js';

const SinkId = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64, description: 'names the sink in status and its cursor' });
const HttpsUrl = Type.String({ format: 'uri', pattern: '^https?://' });

/** TLS settings for a sink's connection. */
export const SinkTls = Type.Object(
  {
    /** PEM file of the CA(s) to trust instead of the system store. */
    ca_file: Type.Optional(Type.String({ minLength: 1 })),
    /** Client certificate and key (PEM files), for mutual TLS. */
    cert_file: Type.Optional(Type.String({ minLength: 1 })),
    key_file: Type.Optional(Type.String({ minLength: 1 })),
    /** Name to check the server certificate against (default: the host). */
    server_name: Type.Optional(Type.String({ minLength: 1 })),
  },
  { additionalProperties: false },
);
export type SinkTls = Type.Static<typeof SinkTls>;

const Common = {
  id: SinkId,
  /** Records per delivery; the outbox never sends more in one request/connection. */
  batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  tls: Type.Optional(SinkTls),
};

export const SplunkHecSinkConfig = Type.Object(
  {
    type: Type.Literal('splunk_hec'),
    ...Common,
    /** Base URL of the HEC endpoint, e.g. https://splunk.example:8088 */
    url: HttpsUrl,
    token: SecretRef,
    index: Type.Optional(Type.String()),
    source: Type.Optional(Type.String()),
    sourcetype: Type.Optional(Type.String()),
    /** X-Splunk-Request-Channel (a GUID); default: derived from the sink id. */
    channel: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F-]{36}$' })),
    /** Indexer acknowledgement: a batch counts as delivered only once Splunk acks it. */
    ack: Type.Optional(
      Type.Object(
        {
          enabled: Type.Boolean(),
          poll_ms: Type.Optional(Type.Integer({ minimum: 10 })),
          timeout_s: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type SplunkHecSinkConfig = Type.Static<typeof SplunkHecSinkConfig>;

export const SyslogSinkConfig = Type.Object(
  {
    type: Type.Literal('syslog'),
    ...Common,
    host: Type.String({ minLength: 1 }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /** tcp: RFC 6587 octet counting; tls: RFC 5425. */
    transport: Type.Union([Type.Literal('tcp'), Type.Literal('tls')]),
    /** Message body: the record as JSON, or ArcSight CEF. */
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('cef')])),
    /** Syslog facility number (default 13, "log audit"). */
    facility: Type.Optional(Type.Integer({ minimum: 0, maximum: 23 })),
    app_name: Type.Optional(Type.String({ pattern: '^[!-~]{1,48}$' })),
    /** HOSTNAME field (default: this machine's host name). */
    hostname: Type.Optional(Type.String({ pattern: '^[!-~]{1,255}$' })),
  },
  { additionalProperties: false },
);
export type SyslogSinkConfig = Type.Static<typeof SyslogSinkConfig>;

export const ElasticSinkConfig = Type.Object(
  {
    type: Type.Literal('elastic'),
    ...Common,
    /** Elasticsearch base URL, e.g. https://es.example:9200 */
    url: HttpsUrl,
    /** Index or data stream name. */
    index: Type.Optional(Type.String({ minLength: 1 })),
    api_key: Type.Optional(SecretRef),
    username: Type.Optional(Type.String()),
    password: Type.Optional(SecretRef),
  },
  { additionalProperties: false },
);
export type ElasticSinkConfig = Type.Static<typeof ElasticSinkConfig>;

export const OtlpLogsSinkConfig = Type.Object(
  {
    type: Type.Literal('otlp_logs'),
    ...Common,
    /** Full logs endpoint, e.g. http://collector:4318/v1/logs */
    url: HttpsUrl,
    /** Extra headers (values may be secrets). */
    headers: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), SecretRef]))),
    service_name: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type OtlpLogsSinkConfig = Type.Static<typeof OtlpLogsSinkConfig>;

export const WebhookSinkConfig = Type.Object(
  {
    type: Type.Literal('webhook'),
    ...Common,
    url: HttpsUrl,
    headers: Type.Optional(Type.Record(Type.String(), Type.Union([Type.String(), SecretRef]))),
    /** When set, each body is signed: X-Kagami-Signature: sha256=<HMAC-SHA256 hex>. */
    hmac_secret: Type.Optional(SecretRef),
  },
  { additionalProperties: false },
);
export type WebhookSinkConfig = Type.Static<typeof WebhookSinkConfig>;

export const SinkConfig = Type.Union([SplunkHecSinkConfig, SyslogSinkConfig, ElasticSinkConfig, OtlpLogsSinkConfig, WebhookSinkConfig]);
export type SinkConfig = Type.Static<typeof SinkConfig>;

export const SiemConfig = Type.Object(
  {
    sinks: Type.Array(SinkConfig, { default: [] }),
    /** Default records per delivery. */
    batch_size: Type.Integer({ minimum: 1, maximum: 10_000, default: 500 }),
    /** Retry backoff: exponential from 1 s (half fixed, half random: "equal jitter"), capped here. */
    max_backoff_s: Type.Integer({ minimum: 1, default: 300 }),
    /** Per-delivery timeout. */
    timeout_s: Type.Integer({ minimum: 1, default: 30 }),
  },
  { additionalProperties: false, default: {} },
);
export type SiemConfig = Type.Static<typeof SiemConfig>;

/** One sink's delivery state. */
export const SinkStatus = Type.Object({
  id: Type.String(),
  type: Type.String(),
  /** Last seq the sink acknowledged. */
  cursor: Type.Integer(),
  /** Rows written but not yet delivered to this sink. */
  lag: Type.Integer(),
  last_delivered_at: Type.Union([Type.Integer(), Type.Null()]),
  last_error: Type.Union([Type.String(), Type.Null()]),
  last_error_at: Type.Union([Type.Integer(), Type.Null()]),
  /** Failed attempts in a row (0 when healthy). */
  failures: Type.Integer(),
  /** When the next retry is due (ms), while backing off. */
  retry_at: Type.Union([Type.Integer(), Type.Null()]),
});
export type SinkStatus = Type.Static<typeof SinkStatus>;

export const SiemStatus = Type.Object({ head: Type.Integer(), sinks: Type.Array(SinkStatus) });
export type SiemStatus = Type.Static<typeof SiemStatus>;
