// The team policy file: where requests may go (endpoints), which data they carry (data
// classes), what happens to them (rules, first match wins, then `default`), and the limits,
// budgets and cache that apply. One schema: it validates the YAML at load (compiled once in
// daemon/policy/load-policy.ts), types the code, and is emitted as JSON Schema for editors
// (shared/schemas/policy.schema.json, regenerated and diffed by a test).
import Type from 'typebox';
import { ENTITY_TYPES, EntityType, RedactionAction } from './redaction.js';
import { Price } from './price.js';

export const NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:/@-]*$';
export const COMPARISON_PATTERN = '^\\s*(<=|>=|<|>|=)\\s*[0-9]+(\\.[0-9]+)?\\s*$';
export const TIME_RANGE_PATTERN = '^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-4]):[0-5][0-9]$';
/** Readable messages for the patterns above (used in policy errors). */
export const PATTERN_HINTS: Readonly<Record<string, string>> = {
  [NAME_PATTERN]: 'must be a name: letters, digits and . _ : / @ - (starting with a letter or digit)',
  [COMPARISON_PATTERN]: 'must be a comparison such as "<400", "<=0.5" or ">1000"',
  [TIME_RANGE_PATTERN]: 'must be a local time range "HH:MM-HH:MM", e.g. "09:00-18:00"',
};

const Name = Type.String({ minLength: 1, maxLength: 128, pattern: NAME_PATTERN });
const OneOrMany = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]);
/** A comparison against a number the request declares: "<400", "<=0.5", ">1000". */
const Comparison = Type.String({ pattern: COMPARISON_PATTERN });
/** Exact values, or a regular expression written `/…/flags`. */
const ValueMatch = Type.Union([Type.String(), Type.Array(Type.String(), { minItems: 1 })]);

export const HealthCheck = Type.Object(
  {
    /** Path under the provider's base URL probed with GET (e.g. /models or /health). */
    path: Type.Optional(Type.String({ default: '/models' })),
    interval_ms: Type.Optional(Type.Integer({ minimum: 500, default: 10_000 })),
    timeout_ms: Type.Optional(Type.Integer({ minimum: 50, default: 2_000 })),
  },
  { additionalProperties: false },
);

export const Endpoint = Type.Object(
  {
    /** Provider connection id from the config (`providers[].id`). */
    provider: Name,
    /** Upstream model name sent to the provider. */
    model: Type.String({ minLength: 1 }),
    price: Type.Optional(Price),
    region: Type.Optional(Type.String()),
    on_prem: Type.Optional(Type.Boolean({ default: false })),
    /** Prior latency (ms) used until live measurements exist. */
    latency_hint_ms: Type.Optional(Type.Number({ minimum: 0 })),
    /** Active health checks (meant for on-prem endpoints). */
    health_check: Type.Optional(HealthCheck),
  },
  { additionalProperties: false },
);
export type Endpoint = Type.Static<typeof Endpoint>;

export const DataClass = Type.Object(
  {
    description: Type.Optional(Type.String()),
    /** Redaction entity types (EMAIL, JP_NAME, JP_MY_NUMBER, …): any finding of one sets the class. */
    entities: Type.Optional(Type.Array(EntityType, { minItems: 1 })),
    /** Request headers that set the class (name → value(s) or /regex/). */
    headers: Type.Optional(Type.Record(Type.String(), ValueMatch)),
    /** Request `metadata` entries that set the class. */
    metadata: Type.Optional(Type.Record(Type.String(), ValueMatch)),
    /** Whether a client may declare this class itself (x-kagami-data-class header / metadata.kagami_data_class). */
    client_declared: Type.Optional(Type.Boolean({ default: true })),
    /** Fail closed: requests of this class only ever go to on_prem endpoints, whatever rule matched. */
    on_prem_only: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);
export type DataClass = Type.Static<typeof DataClass>;

export const TimeWindow = Type.Object(
  {
    /** "HH:MM-HH:MM" local time; may wrap midnight ("22:00-06:00"). */
    between: Type.Optional(Type.String({ pattern: TIME_RANGE_PATTERN })),
    days: Type.Optional(
      Type.Array(Type.Union([Type.Literal('mon'), Type.Literal('tue'), Type.Literal('wed'), Type.Literal('thu'), Type.Literal('fri'), Type.Literal('sat'), Type.Literal('sun')]), {
        minItems: 1,
      }),
    ),
    /** IANA time zone, e.g. Asia/Tokyo (default UTC). */
    tz: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type TimeWindow = Type.Static<typeof TimeWindow>;

/** Every condition given must hold (AND); a list of values matches any of them (OR). */
export const RuleConditions = Type.Object(
  {
    tenant: Type.Optional(OneOrMany),
    user: Type.Optional(OneOrMany),
    role: Type.Optional(OneOrMany),
    /** Requested model or alias; `*` is a wildcard ("gpt-4o*"). */
    model: Type.Optional(OneOrMany),
    /** Data class names declared under `data_classes`; matches when the request carries any of them. */
    data_class: Type.Optional(OneOrMany),
    /** The latency budget the request declares (x-kagami-latency-budget-ms or metadata.latency_budget_ms). */
    latency_budget_ms: Type.Optional(Comparison),
    /** The cost cap per 1k tokens (USD) the request declares (x-kagami-max-cost-per-1k or metadata.max_cost_per_1k). */
    cost_cap_per_1k: Type.Optional(Comparison),
    metadata: Type.Optional(Type.Record(Type.String(), ValueMatch)),
    headers: Type.Optional(Type.Record(Type.String(), ValueMatch)),
    time: Type.Optional(TimeWindow),
    /** Inbound operation: chat, completion or embedding. */
    operation: Type.Optional(OneOrMany),
    stream: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type RuleConditions = Type.Static<typeof RuleConditions>;

export const WeightedTarget = Type.Object(
  { endpoint: Name, weight: Type.Number({ exclusiveMinimum: 0 }) },
  { additionalProperties: false },
);

export const Strategy = Type.Object(
  {
    type: Type.Union([Type.Literal('cheapest'), Type.Literal('fastest'), Type.Literal('cost_latency')]),
    /** Endpoints to choose among. */
    targets: Type.Array(Name, { minItems: 1 }),
    /** cost_latency: 0 = only cost, 1 = only latency. */
    latency_weight: Type.Optional(Type.Number({ minimum: 0, maximum: 1, default: 0.5 })),
    /** Latency SLO (ms): endpoints whose p95 is above it go last. */
    slo_ms: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  },
  { additionalProperties: false },
);

export const RuleCache = Type.Union([
  Type.Boolean(),
  Type.Object({ ttl_s: Type.Integer({ minimum: 1 }) }, { additionalProperties: false }),
]);

/** What a rule (or `default`) does: exactly one of route_to / weighted / strategy / deny. */
export const RuleAction = Type.Object(
  {
    /** One endpoint name, or `$requested`: the config model alias the client asked for. */
    route_to: Type.Optional(Type.String({ minLength: 1 })),
    weighted: Type.Optional(Type.Array(WeightedTarget, { minItems: 1 })),
    strategy: Type.Optional(Strategy),
    /** Ordered endpoints tried after the chosen one fails. */
    fallback: Type.Optional(Type.Array(Name)),
    /**
     * Extra attempts after every candidate was tried once, going round the list again (with
     * backoff, bounded by the daemon's retry budget). Default 1.
     */
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5, default: 1 })),
    /** Refuse the request with this message (403 policy_denied). */
    deny: Type.Optional(Type.String({ minLength: 1 })),
    /** Caps max_tokens / max_completion_tokens (and sets it when absent). */
    max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
    /** Requested models this rule allows (others: 403 model_not_allowed). `*` wildcards. */
    allowed_models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
    /** Only on_prem endpoints may serve the request; none available → 503 (fail closed). */
    on_prem_only: Type.Optional(Type.Boolean()),
    /** Exact-match response cache for this rule: true (policy TTL), false, or { ttl_s }. */
    cache: Type.Optional(RuleCache),
  },
  { additionalProperties: false },
);
export type RuleAction = Type.Static<typeof RuleAction>;

export const Rule = Type.Object(
  {
    name: Name,
    description: Type.Optional(Type.String()),
    when: RuleConditions,
    ...RuleAction.properties,
  },
  { additionalProperties: false },
);
export type Rule = Type.Static<typeof Rule>;

const Scope = Type.Union([Type.Literal('tenant'), Type.Literal('user'), Type.Literal('model'), Type.Literal('key')]);

export const RateLimit = Type.Object(
  {
    /** What the bucket is kept per: each tenant, each user (tenant/user), each requested model, each virtual key. */
    per: Scope,
    /** Restrict to these tenants/users/models/keys (default: every one gets its own bucket). */
    match: Type.Optional(OneOrMany),
    requests_per_min: Type.Optional(Type.Integer({ minimum: 1 })),
    tokens_per_min: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
export type RateLimit = Type.Static<typeof RateLimit>;

export const Budget = Type.Object(
  {
    per: Type.Union([Type.Literal('tenant'), Type.Literal('key')]),
    match: Type.Optional(OneOrMany),
    daily_usd: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    monthly_usd: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    /** Share of a cap (0–1) above which responses carry a warning header and an event is published. */
    soft_ratio: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1, default: 0.8 })),
  },
  { additionalProperties: false },
);
export type Budget = Type.Static<typeof Budget>;

export const CacheSettings = Type.Object(
  {
    enabled: Type.Optional(Type.Boolean({ default: false })),
    ttl_s: Type.Optional(Type.Integer({ minimum: 1, default: 300 })),
    max_entries: Type.Optional(Type.Integer({ minimum: 1, default: 10_000 })),
  },
  { additionalProperties: false },
);
export type CacheSettings = Type.Static<typeof CacheSettings>;

/** What a developer's local policy may add on top of the team policy (signed policies, issue 7). */
export const LocalOverrides = Type.Object(
  {
    allowed: Type.Array(
      Type.Union([Type.Literal('rules'), Type.Literal('endpoints'), Type.Literal('limits'), Type.Literal('cache')]),
    ),
    /** Endpoints local rules may route to (default: any team endpoint). */
    endpoints: Type.Optional(Type.Array(Name)),
  },
  { additionalProperties: false },
);
export type LocalOverrides = Type.Static<typeof LocalOverrides>;

const EntityActions = Type.Object(
  Object.fromEntries(ENTITY_TYPES.map((name) => [name, Type.Optional(Type.Object({ action: RedactionAction }, { additionalProperties: false }))])) as Record<
    EntityType,
    Type.TOptional<Type.TObject<{ action: typeof RedactionAction }>>
  >,
  { additionalProperties: false },
);

/**
 * The team's redaction actions, which replace each daemon's configured ones for requests under
 * the policy: per entity type, and `default_action` for the types not listed. Only actions:
 * how values are detected (thresholds, the Japanese analyzer, answer scanning) stays each
 * daemon's `redaction:` config, so a field the policy could not honour is refused, not ignored.
 */
export const PolicyRedaction = Type.Object(
  {
    default_action: Type.Optional(RedactionAction),
    entities: Type.Optional(EntityActions),
  },
  { additionalProperties: false },
);

export const Policy = Type.Object(
  {
    version: Type.Integer({ minimum: 1 }),
    description: Type.Optional(Type.String()),
    endpoints: Type.Record(Type.String(), Endpoint),
    data_classes: Type.Optional(Type.Record(Type.String(), DataClass)),
    rules: Type.Optional(Type.Array(Rule)),
    default: RuleAction,
    limits: Type.Optional(Type.Array(RateLimit)),
    budgets: Type.Optional(Type.Array(Budget)),
    redaction: Type.Optional(PolicyRedaction),
    cache: Type.Optional(CacheSettings),
    local_overrides: Type.Optional(LocalOverrides),
  },
  { additionalProperties: false, $id: 'https://kagami.dev/schemas/policy.schema.json', title: 'Kagami policy' },
);
export type Policy = Type.Static<typeof Policy>;
