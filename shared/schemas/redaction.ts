// PII redaction: the entity types the detectors report, the actions a config (and later a
// policy) chooses per type, the `redaction:` config block, and the finding the redaction log
// stores. One source of truth for the daemon (daemon/redaction/), the audit trail and the UI.
import Type from 'typebox';

/** English/global entity types (daemon/redaction/detectors/). */
export const GLOBAL_ENTITY_TYPES = [
  'EMAIL',
  'PHONE',
  'CREDIT_CARD',
  'US_SSN',
  'IBAN',
  'IP_ADDRESS',
  'URL_CREDENTIALS',
  'AWS_ACCESS_KEY',
  'API_KEY',
  'GITHUB_TOKEN',
  'JWT',
  'PRIVATE_KEY',
  'SECRET',
] as const;

/** Japanese entity types (daemon/redaction/ja/). */
export const JAPANESE_ENTITY_TYPES = [
  'JP_NAME',
  'JP_ADDRESS',
  'JP_MY_NUMBER',
  'JP_CORPORATE_NUMBER',
  'JP_PHONE',
  'JP_POSTAL_CODE',
  'JP_BANK_ACCOUNT',
  'JP_PASSPORT',
  'JP_DRIVERS_LICENSE',
] as const;

export const ENTITY_TYPES = [...GLOBAL_ENTITY_TYPES, ...JAPANESE_ENTITY_TYPES] as const;

export const EntityType = Type.Enum(ENTITY_TYPES);
export type EntityType = (typeof ENTITY_TYPES)[number];

export function isEntityType(value: string): value is EntityType {
  return (ENTITY_TYPES as readonly string[]).includes(value);
}

/**
 * What happens to a detected value in the request:
 * - mask: replaced by `[EMAIL]`;
 * - pseudonymize: replaced by a stable per-request placeholder (`<EMAIL_1>`, `<PERSON_2>`) and
 *   restored in the response, so the provider never sees the value and the user still does;
 * - block: the request is refused (400 pii_blocked, naming the entity types, never the values);
 * - allow: sent unchanged, only logged.
 */
export const RedactionAction = Type.Union([
  Type.Literal('mask'),
  Type.Literal('pseudonymize'),
  Type.Literal('block'),
  Type.Literal('allow'),
]);
export type RedactionAction = Type.Static<typeof RedactionAction>;

/** What happens to a value the model emits in its response (streamed or not). */
export const ResponseAction = Type.Union([Type.Literal('mask'), Type.Literal('allow')]);
export type ResponseAction = Type.Static<typeof ResponseAction>;

/** Per-entity settings; anything left out falls back to the block's defaults. */
export const EntityRule = Type.Object(
  {
    action: Type.Optional(RedactionAction),
    /** Minimum detector score (0..1, after context words) for a span to count. */
    threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    /** For values found in the model's output. Default: `allow` when action is allow, else `mask`. */
    response: Type.Optional(ResponseAction),
  },
  { additionalProperties: false },
);
export type EntityRule = Type.Static<typeof EntityRule>;

/** Default of `redaction.japanese_max_chars`. */
export const DEFAULT_JAPANESE_MAX_CHARS = 300_000;

/** The `redaction:` config block. */
export const RedactionConfig = Type.Object(
  {
    enabled: Type.Boolean({ default: true }),
    /** Action for entity types without an `entities` entry. */
    default_action: Type.Optional(RedactionAction),
    /** Score threshold for entity types without their own (detectors' defaults apply if unset). */
    default_threshold: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    entities: Type.Optional(
      Type.Object(
        Object.fromEntries(ENTITY_TYPES.map((name) => [name, Type.Optional(EntityRule)])) as Record<
          EntityType,
          Type.TOptional<typeof EntityRule>
        >,
        { additionalProperties: false },
      ),
    ),
    /** Scan the model's output (JSON and streams) and apply each type's `response` action. */
    scan_responses: Type.Boolean({ default: true }),
    /** Exact values never redacted (a team's public support address, a documentation IP). */
    allow_values: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Run the Japanese analyzer (kuromoji, worker thread) on text containing Japanese script. */
    japanese: Type.Boolean({ default: true }),
    /**
     * Most characters of text with Japanese script one request may carry (all its texts together;
     * 300,000 take the analyzer ~2-5 s). Over it the request is refused (413), never sent unscanned.
     */
    japanese_max_chars: Type.Integer({ minimum: 1, default: DEFAULT_JAPANESE_MAX_CHARS }),
    /**
     * Load the Japanese dictionary at daemon start, in the background (~140 MB, ~0.5-1 s of a
     * worker thread), so the first Japanese request does not wait for it. Off by default: a
     * daemon that only sees ASCII text then never loads it.
     */
    japanese_preload: Type.Boolean({ default: false }),
  },
  { additionalProperties: false, default: {} },
);
export type RedactionConfig = Type.Static<typeof RedactionConfig>;

/**
 * One finding, as `ctx.annotations.redaction.findings` carries it and the redaction log stores it
 * (AuditWriter.appendRedactions adds trace_id and ts). Never holds the raw value.
 */
export const RedactionFinding = Type.Object({
  entity_type: EntityType,
  detector: Type.String(),
  score: Type.Number(),
  /** The action applied: a request action, or `mask`/`allow` for a value found in the response. */
  action: RedactionAction,
  /** Where: "messages[2].content", "messages[0].content[1].text", "input[3]", "response.choices[0]", … */
  location: Type.String(),
  /** UTF-16 offsets in that text (in the stream: in the choice's whole output). */
  start: Type.Integer(),
  end: Type.Integer(),
  /** The surrounding text with every finding masked: "Call me at [PHONE] tomorrow". */
  preview: Type.String(),
});
export type RedactionFinding = Type.Static<typeof RedactionFinding>;

/** `ctx.annotations.redaction`: what the redactPrompt stage did to one request. */
export interface RedactionAnnotation {
  /** Findings per entity type (request and response together): { EMAIL: 2 }. */
  counts: Partial<Record<EntityType, number>>;
  /** Request action per entity type found: { EMAIL: 'mask' }. */
  actions: Partial<Record<EntityType, RedactionAction>>;
  /** Counts per entity type and action, the AuditRecord.redactions shape: { EMAIL: { mask: 2 } }. */
  tally: Record<string, Record<string, number>>;
  findings: RedactionFinding[];
}
