// Inputs of the policy tools: the request file `kagami policy explain --request` reads, and
// one line of the traffic file `kagami simulate --traffic` replays (JSON Lines). Both name only
// what rules can look at; the simulator's lines also carry what really happened (endpoint,
// cost, latency) so a candidate policy can be compared with it.
import Type from 'typebox';

const Headers = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]));
const OneOrMany = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }))]);

/** Who sends the request and how (what the virtual key and the HTTP request would supply). */
const Caller = {
  tenant: Type.Optional(Type.String()),
  user: Type.Optional(Type.String()),
  role: Type.Optional(Type.String()),
  key_id: Type.Optional(Type.String()),
  /** Request headers (names in any case), e.g. x-kagami-data-class. */
  headers: Type.Optional(Headers),
  /** chat (default), completion or embedding. */
  operation: Type.Optional(Type.Union([Type.Literal('chat'), Type.Literal('completion'), Type.Literal('embedding')])),
};

/** `kagami policy explain FILE --request req.json`: the caller plus the OpenAI request body. */
export const ExplainRequest = Type.Object(
  {
    ...Caller,
    /** When the request is sent (ISO 8601; default now): for `time` conditions. */
    at: Type.Optional(Type.String({ format: 'date-time' })),
    /** Data classes the request carries besides those found by headers and PII detection. */
    data_class: Type.Optional(OneOrMany),
    /** Observed latency per endpoint (ms), standing in for the daemon's live measurements. */
    latency_ms: Type.Optional(Type.Record(Type.String(), Type.Number({ minimum: 0 }))),
    /** The OpenAI request body: model, messages (or prompt / input), max_tokens, metadata… */
    body: Type.Object({ model: Type.String({ minLength: 1 }) }, { additionalProperties: true }),
  },
  { additionalProperties: false },
);
export type ExplainRequest = Type.Static<typeof ExplainRequest>;

/** One line of a `kagami simulate --traffic` file: a request as it really happened. */
export const TrafficRecord = Type.Object(
  {
    ...Caller,
    /** ms since the epoch or ISO 8601 (for `time` conditions; default: the replay time). */
    ts: Type.Optional(Type.Union([Type.Number(), Type.String({ format: 'date-time' })])),
    /** The model (alias) the client asked for. */
    model: Type.String({ minLength: 1 }),
    stream: Type.Optional(Type.Boolean()),
    prompt_tokens: Type.Integer({ minimum: 0 }),
    completion_tokens: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Data classes the request carried (e.g. pii-restricted). */
    data_class: Type.Optional(OneOrMany),
    /** PII entity types found in it (EMAIL, JP_MY_NUMBER…): sets entity-based data classes. */
    entities: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    /** What really happened: the endpoint that answered, its provider, cost and latency. */
    endpoint: Type.Optional(Type.String()),
    provider: Type.Optional(Type.String()),
    status: Type.Optional(Type.Integer()),
    cost_usd: Type.Optional(Type.Number({ minimum: 0 })),
    latency_ms: Type.Optional(Type.Number({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type TrafficRecord = Type.Static<typeof TrafficRecord>;
