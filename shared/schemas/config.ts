// The gateway's config file (kagami.yaml), one schema: it validates the YAML at load
// (daemon/config/ compiles it once), types the loaded Config and can be emitted as JSON Schema
// for editors. Defaults live here as `default` annotations; the loader fills them in before
// validating, so fields with a default are required in the loaded type and optional in the file.
//
// Annotation `errorMessage` replaces the validator's wording for a field (pattern, format, …)
// in load errors.
//
// Each area owns its own block in its own schema file and plugs it in with ONE line in
// `ConfigFile` below (see "area blocks"). Unknown keys anywhere are errors.
import Type from 'typebox';
import { PolicyConfig } from './policy-config.js';
import { RedactionConfig } from './redaction.js';
import { AuditConfig } from './audit.js';
import { SiemConfig } from './siem.js';
import { TelemetryConfig } from './telemetry.js';
import { Price } from './price.js';

// SecretRef lives in its own file so area blocks (siem.ts, …) can use it without an import cycle.
import { SecretRef } from './secret-ref.js';
export { SecretRef };

export const Listen = Type.Object(
  {
    /** Loopback only: the loader refuses any other address. */
    host: Type.String({ default: '127.0.0.1' }),
    /** 0 picks a free port (tests). */
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8765 }),
  },
  { additionalProperties: false, default: {} },
);

export const Limits = Type.Object(
  {
    body_bytes: Type.Integer({ minimum: 1024, default: 4_194_304 }),
    json_depth: Type.Integer({ minimum: 2, maximum: 1000, default: 64 }),
  },
  { additionalProperties: false, default: {} },
);

export const ProviderTimeouts = Type.Object(
  {
    connect_ms: Type.Integer({ minimum: 1, default: 5_000 }),
    first_byte_ms: Type.Integer({ minimum: 1, default: 60_000 }),
    idle_ms: Type.Integer({ minimum: 1, default: 30_000 }),
    total_ms: Type.Integer({ minimum: 1, default: 600_000 }),
  },
  { additionalProperties: false, default: {} },
);

export const ProviderConfig = Type.Object(
  {
    /** Connection name, referenced by models[].provider and policy endpoints. */
    id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]*$', maxLength: 64, errorMessage: 'must be lowercase letters, digits, ".", "_" or "-" (at most 64)' }),
    /** Adapter id registered in daemon/providers/index.ts (openai, azure, vllm, ollama, anthropic, …). */
    type: Type.String({ minLength: 1 }),
    base_url: Type.Optional(Type.String({ format: 'uri', pattern: '^https?://', errorMessage: 'must be a URL (http:// or https://)' })),
    api_key: Type.Optional(SecretRef),
    timeouts: ProviderTimeouts,
    /** Where the provider processes data (policy conditions use it). */
    region: Type.Optional(Type.String({ minLength: 1 })),
    on_prem: Type.Boolean({ default: false }),
    /** Adapter-specific settings; any SecretRef-shaped object inside is resolved at load. */
    options: Type.Record(Type.String(), Type.Unknown(), { default: {} }),
  },
  { additionalProperties: false },
);
export type ProviderConfig = Type.Static<typeof ProviderConfig>;

export const ModelCapabilities = Type.Object(
  {
    chat: Type.Boolean({ default: true }),
    embeddings: Type.Boolean({ default: false }),
    completions: Type.Boolean({ default: false }),
    tools: Type.Boolean({ default: false }),
    vision: Type.Boolean({ default: false }),
    json_mode: Type.Boolean({ default: false }),
    context_window: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false, default: {} },
);

export const ModelConfig = Type.Object(
  {
    /** What clients send as "model". */
    name: Type.String({ minLength: 1 }),
    /** A providers[].id. */
    provider: Type.String({ minLength: 1 }),
    /** The upstream model id (defaults to name). */
    model: Type.Optional(Type.String({ minLength: 1 })),
    capabilities: ModelCapabilities,
    price: Type.Optional(Price),
  },
  { additionalProperties: false },
);
export type ModelConfig = Type.Static<typeof ModelConfig>;

export const ConfigFile = Type.Object(
  {
    listen: Listen,
    /** Extra exact Host names accepted besides localhost, 127.0.0.1 and [::1]. */
    allowed_hosts: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Exact Origins allowed for CORS; none by default. */
    cors_origins: Type.Array(Type.String({ minLength: 1 }), { default: [] }),
    /** Default: $XDG_DATA_HOME/kagami (~/.local/share/kagami); filled in by the loader. */
    data_dir: Type.Optional(Type.String({ minLength: 1 })),
    limits: Limits,
    providers: Type.Array(ProviderConfig, { default: [] }),
    models: Type.Array(ModelConfig, { default: [] }),
    // ---- area blocks: each area adds ONE line here, `name: Type.Optional(ItsSchema),` ----
    // (then refresh the editor schema: KAGAMI_UPDATE_SCHEMAS=1 npx vitest run test/daemon/config/json-schema.test.ts)
    policy: Type.Optional(PolicyConfig),
    redaction: Type.Optional(RedactionConfig),
    audit: Type.Optional(AuditConfig),
    siem: Type.Optional(SiemConfig),
    telemetry: Type.Optional(TelemetryConfig),
  },
  { additionalProperties: false },
);
/** The config file after defaults were applied, before secrets are resolved. */
export type ConfigFile = Type.Static<typeof ConfigFile>;

/** A provider with its SecretRefs resolved. `secrets` is keyed by the ref's path in the
 * provider block (`api_key`, `options.secret_access_key`); never log or persist it. */
export type ResolvedProvider = Readonly<ProviderConfig> & {
  readonly secrets: Readonly<Record<string, string>>;
};

/** The loaded, deep-frozen config every part of the daemon reads. */
export type Config = Readonly<Omit<ConfigFile, 'providers' | 'models' | 'data_dir'>> & {
  readonly data_dir: string;
  readonly providers: readonly ResolvedProvider[];
  /** `model` (the upstream id) defaults to `name`. */
  readonly models: readonly (Readonly<ModelConfig> & { readonly model: string })[];
  /** The file it came from, or null for the embedded defaults. */
  readonly source: string | null;
};
