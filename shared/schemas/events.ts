// The live request event (`kagami:request:end` on diagnostics_channel, `event: request` on
// GET /admin/events): the audit facts a UI shows about one finished request. The desktop app
// and the web UI type their SSE client with this schema.
import Type from 'typebox';

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);

export const RequestEvent = Type.Object({
  trace_id: Type.String(),
  /** Date.now() when the request arrived. */
  ts: Type.Number(),
  /** Inbound API surface: openai.chat, openai.completions, openai.embeddings, anthropic.messages, … */
  api: Type.String(),
  tenant: NullableString,
  user: NullableString,
  key_id: NullableString,
  requested_model: NullableString,
  /** Provider connection id (config `providers[].id`) that answered, if any. */
  provider: NullableString,
  /** Policy endpoint name or model alias of the target that answered. */
  endpoint: NullableString,
  upstream_model: NullableString,
  /** Policy rule that matched, if any. */
  rule: NullableString,
  /** HTTP status returned to the client. */
  status: Type.Integer(),
  /** GatewayError code when the request failed. */
  error_code: NullableString,
  stream: Type.Boolean(),
  latency_ms: Type.Number(),
  upstream_ms: NullableNumber,
  gateway_ms: NullableNumber,
  prompt_tokens: Type.Union([Type.Integer(), Type.Null()]),
  completion_tokens: Type.Union([Type.Integer(), Type.Null()]),
  total_tokens: Type.Union([Type.Integer(), Type.Null()]),
  cost_usd: NullableNumber,
  cache_hit: Type.Boolean(),
  /** Targets tried and failed before the answering one: `${provider}/${upstream_model}`. */
  fallbacks: Type.Array(Type.String()),
  /** Redaction counts per entity type and action, e.g. { "EMAIL:mask": 2 }. */
  redactions: Type.Record(Type.String(), Type.Integer()),
  /** Policy decision facts (free-form JSON), null without a policy. */
  decision: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
});
export type RequestEvent = Type.Static<typeof RequestEvent>;

/** Payload of `kagami:request:start`. */
export interface RequestStartEvent {
  readonly trace_id: string;
  readonly ts: number;
  readonly api: string;
  readonly requested_model: string | null;
}

/** Payload of `kagami:request:route` (one per attempt). */
export interface RequestRouteEvent {
  readonly trace_id: string;
  readonly provider: string;
  readonly endpoint: string;
  readonly upstream_model: string;
  readonly attempt: number;
}
