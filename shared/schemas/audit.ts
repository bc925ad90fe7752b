// The audit trail's records as stored, queried and shipped: one row per request (AuditRecord),
// one per redaction finding (RedactionLogEntry), one per administrative event (AdminEvent),
// plus the query filters of GET /admin/audit, /admin/redactions and `kagami audit export`,
// and the `audit:` config block. Raw prompts and responses never appear here: only their
// SHA-256, counts, and masked previews.
import Type from 'typebox';

const Nullable = <T extends Type.TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

/** One request, as recordAudit (core-http) hands it to AuditWriter.append(). */
export const AuditRecord = Type.Object({
  trace_id: Type.String(),
  /** Date.now() when the request arrived. */
  ts: Type.Integer(),
  /** Null when the request never authenticated (401). */
  tenant: Nullable(Type.String()),
  user: Nullable(Type.String()),
  key_id: Nullable(Type.String()),
  /** Inbound surface: openai.chat, openai.embeddings, anthropic.messages, … */
  api: Type.String(),
  requested_model: Nullable(Type.String()),
  provider: Nullable(Type.String()),
  endpoint: Nullable(Type.String()),
  upstream_model: Nullable(Type.String()),
  /** HTTP status the client got. */
  status: Type.Integer(),
  error_code: Nullable(Type.String()),
  stream: Type.Boolean(),
  prompt_tokens: Nullable(Type.Integer()),
  completion_tokens: Nullable(Type.Integer()),
  total_tokens: Nullable(Type.Integer()),
  latency_ms: Type.Number(),
  upstream_ms: Nullable(Type.Number()),
  gateway_ms: Nullable(Type.Number()),
  /** SHA-256 (hex) of the request's messages/input JSON as received. */
  request_sha256: Nullable(Type.String()),
  /** SHA-256 (hex) of the response text the client got. */
  response_sha256: Nullable(Type.String()),
  /** Policy rule that matched. */
  rule: Nullable(Type.String()),
  cost_usd: Nullable(Type.Number()),
  cache_hit: Type.Boolean(),
  /** Targets tried and failed before the answering one: `${provider}/${upstream_model}` (as in RequestEvent). */
  fallbacks: Type.Array(Type.String()),
  /** Counts per entity type and action, keyed "TYPE:action": { "EMAIL:mask": 2 } (as in RequestEvent). */
  redactions: Type.Record(Type.String(), Type.Integer()),
  /** Policy decision facts (candidates, scores, conditions), or null without a policy. */
  decision: Nullable(Type.Record(Type.String(), Type.Unknown())),
});
export type AuditRecord = Type.Static<typeof AuditRecord>;

/** One redaction finding, without the text it found (the preview is masked). */
export const RedactionLogEntry = Type.Object({
  trace_id: Type.String(),
  ts: Type.Integer(),
  entity_type: Type.String(),
  detector: Type.String(),
  score: Type.Number(),
  action: Type.String(),
  /** Where it was found: "messages[2].content", "response", … */
  location: Nullable(Type.String()),
  start: Nullable(Type.Integer()),
  end: Nullable(Type.Integer()),
  /** A masked preview such as "j***@e******.com"; never the raw value. */
  preview: Nullable(Type.String()),
});
export type RedactionLogEntry = Type.Static<typeof RedactionLogEntry>;

/**
 * An administrative event. Types in use: policy_applied, policy_refused, local_rules_refused
 * (team policy), key.created, key.revoked, budget_exceeded, budget_soft_limit (policy budgets),
 * audit.checkpoint, audit.pruned.
 */
export const AdminEvent = Type.Object({
  ts: Type.Integer(),
  type: Type.String(),
  /** Who did it: "cli", "admin-api", "daemon", a user name. */
  actor: Type.String(),
  tenant: Nullable(Type.String()),
  details: Type.Record(Type.String(), Type.Unknown()),
});
export type AdminEvent = Type.Static<typeof AdminEvent>;

/** The three tables of the trail, which share one hash chain (one global sequence). */
export const AuditKind = Type.Union([Type.Literal('request'), Type.Literal('redaction'), Type.Literal('admin')]);
export type AuditKind = Type.Static<typeof AuditKind>;

/** Chain columns every stored row carries. */
const ChainFields = {
  /** Position in the one global sequence shared by all three tables. */
  seq: Type.Integer(),
  /** SHA-256 hex of the previous row in the sequence (64 zeros for the first). */
  prev_hash: Type.String(),
  /** SHA-256 hex over prev_hash and this row's canonical content. */
  hash: Type.String(),
};

export const AuditRow = Type.Object({ ...ChainFields, ...AuditRecord.properties });
export type AuditRow = Type.Static<typeof AuditRow>;
export const RedactionRow = Type.Object({ ...ChainFields, ...RedactionLogEntry.properties });
export type RedactionRow = Type.Static<typeof RedactionRow>;
export const AdminEventRow = Type.Object({ ...ChainFields, ...AdminEvent.properties });
export type AdminEventRow = Type.Static<typeof AdminEventRow>;

/** Any row of the trail, tagged with its table: what the SIEM outbox and export carry. */
export type TrailRow =
  | { kind: 'request'; row: AuditRow }
  | { kind: 'redaction'; row: RedactionRow }
  | { kind: 'admin'; row: AdminEventRow };

const Paging = {
  /** Only rows with seq below this (the `next_cursor` of the previous page); newest first. */
  cursor: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
};
const TimeRange = {
  /** ms since the epoch, inclusive. */
  from: Type.Optional(Type.Integer()),
  /** ms since the epoch, exclusive. */
  to: Type.Optional(Type.Integer()),
};

/** GET /admin/audit query string and `kagami audit export` filters. */
export const AuditQuery = Type.Object(
  {
    ...TimeRange,
    tenant: Type.Optional(Type.String()),
    user: Type.Optional(Type.String()),
    /** Matches the requested model alias or the upstream model. */
    model: Type.Optional(Type.String()),
    provider: Type.Optional(Type.String()),
    endpoint: Type.Optional(Type.String()),
    /** Exact status (429) or a class (4xx). */
    status: Type.Optional(Type.String({ pattern: '^([1-5][0-9][0-9]|[1-5]xx)$' })),
    trace_id: Type.Optional(Type.String()),
    /** Requests with at least one redaction finding of this entity type. */
    entity_type: Type.Optional(Type.String()),
    ...Paging,
  },
  { additionalProperties: false },
);
export type AuditQuery = Type.Static<typeof AuditQuery>;

/** GET /admin/redactions query string. */
export const RedactionQuery = Type.Object(
  {
    ...TimeRange,
    trace_id: Type.Optional(Type.String()),
    entity_type: Type.Optional(Type.String()),
    action: Type.Optional(Type.String()),
    detector: Type.Optional(Type.String()),
    ...Paging,
  },
  { additionalProperties: false },
);
export type RedactionQuery = Type.Static<typeof RedactionQuery>;

export const AuditPage = Type.Object({
  items: Type.Array(AuditRow),
  /** Pass as `cursor` for the next (older) page; null when there is none. */
  next_cursor: Nullable(Type.Integer()),
});
export type AuditPage = Type.Static<typeof AuditPage>;

export const RedactionPage = Type.Object({
  items: Type.Array(RedactionRow),
  next_cursor: Nullable(Type.Integer()),
});
export type RedactionPage = Type.Static<typeof RedactionPage>;

export const StatsWindow = Type.Union([Type.Literal('5m'), Type.Literal('1h'), Type.Literal('24h')]);
export type StatsWindow = Type.Static<typeof StatsWindow>;

/** GET /admin/stats/latency: per provider and endpoint, for each window. */
export const LatencyStats = Type.Object({
  window: StatsWindow,
  since: Type.Integer(),
  groups: Type.Array(
    Type.Object({
      provider: Nullable(Type.String()),
      endpoint: Nullable(Type.String()),
      requests: Type.Integer(),
      errors: Type.Integer(),
      error_rate: Type.Number(),
      p50_ms: Nullable(Type.Number()),
      p95_ms: Nullable(Type.Number()),
      upstream_p50_ms: Nullable(Type.Number()),
      upstream_p95_ms: Nullable(Type.Number()),
    }),
  ),
});
export type LatencyStats = Type.Static<typeof LatencyStats>;

/** GET /admin/stats/cost: spend per tenant, model and endpoint in [from, to). */
export const CostStats = Type.Object({
  from: Type.Integer(),
  to: Type.Integer(),
  total_usd: Type.Number(),
  by_tenant: Type.Array(Type.Object({ tenant: Nullable(Type.String()), cost_usd: Type.Number(), requests: Type.Integer(), total_tokens: Type.Integer() })),
  by_model: Type.Array(Type.Object({ model: Nullable(Type.String()), cost_usd: Type.Number(), requests: Type.Integer(), total_tokens: Type.Integer() })),
  by_endpoint: Type.Array(Type.Object({ endpoint: Nullable(Type.String()), cost_usd: Type.Number(), requests: Type.Integer(), total_tokens: Type.Integer() })),
});
export type CostStats = Type.Static<typeof CostStats>;

/**
 * When a request's audit row is committed relative to its answer. `after_response`: the answer
 * is sent first and the row joins the group commit right after (a normal stop still writes
 * every row; a SIGKILL or crash can lose the last few milliseconds of rows). `before_response`:
 * the answer waits for the COMMIT (JSON: before it is sent; stream: before the final [DONE]),
 * so no answered request is ever without its row, even after a SIGKILL.
 */
export const AuditCommit = Type.Union([Type.Literal('after_response'), Type.Literal('before_response')], { default: 'after_response' });
export type AuditCommit = Type.Static<typeof AuditCommit>;

/**
 * Where the audit commit runs. `event_loop`: in the daemon's thread, right after the turn that
 * queued the rows. `worker_thread`: in a worker with its own SQLite connection, so the event
 * loop pays one postMessage per turn; but that worker then holds SQLite's one write lock while
 * the daemon's own writes (budgets, response cache, SIEM cursors) may need it, and such a write
 * waits 1 ms or more on the event loop when it finds the lock taken.
 */
export const AuditWriterPlace = Type.Union([Type.Literal('event_loop'), Type.Literal('worker_thread')], { default: 'event_loop' });
export type AuditWriterPlace = Type.Static<typeof AuditWriterPlace>;

/** The `audit:` config block. */
export const AuditConfig = Type.Object(
  {
    /** When a request's row is committed relative to its answer (AuditCommit). */
    commit: AuditCommit,
    /** Where the commit runs (AuditWriterPlace). */
    writer: AuditWriterPlace,
    /** Rows older than this are pruned locally, but only once every SIEM sink has them. 0 = keep forever. */
    keep_days: Type.Integer({ minimum: 0, default: 90 }),
    /** Before deleting, append pruned rows to <data_dir>/archive/audit-<from>-<to>.ndjson.gz. */
    archive: Type.Boolean({ default: true }),
    /** A signed checkpoint is written after this many rows or this many seconds, whichever first. */
    checkpoint_every_rows: Type.Integer({ minimum: 1, default: 1000 }),
    checkpoint_every_s: Type.Integer({ minimum: 1, default: 300 }),
  },
  { additionalProperties: false, default: {} },
);
export type AuditConfig = Type.Static<typeof AuditConfig>;
