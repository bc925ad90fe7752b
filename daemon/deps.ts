// What the request path needs from the rest of the daemon, as small structural interfaces:
// buildApp(deps) receives the real parts (core-base's Config and KeyStore, the audit
// AuditWriter, …) and passes each stage the slice it reads. Tests hand in real parts too.
// These views name only what core-http reads, so they stay assignable from the full types.
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from './pipeline/context.js';
import type { RequestEvents } from './events/channels.js';

export interface ProviderTimeouts {
  readonly connect_ms?: number;
  readonly first_byte_ms?: number;
  readonly idle_ms?: number;
  readonly total_ms?: number;
}

/** One `providers[]` entry after loading (secrets resolved). */
export interface ProviderConfig {
  readonly id: string;
  readonly type: string;
  readonly base_url?: string | undefined;
  readonly timeouts?: ProviderTimeouts | undefined;
  readonly options?: Readonly<Record<string, unknown>> | undefined;
  /** Resolved SecretRefs by key (`api_key`, …); never logged. */
  readonly secrets?: Readonly<Record<string, string>> | undefined;
}

/** One `models[]` entry: the alias clients send, and where it goes. */
export interface ModelConfig {
  readonly name: string;
  readonly provider: string;
  readonly model: string;
  readonly capabilities?: Readonly<Record<string, unknown>> | undefined;
  readonly price?: { readonly input_per_1m?: number; readonly output_per_1m?: number } | undefined;
}

export interface GatewayConfig {
  readonly listen: { readonly host: string; readonly port: number };
  readonly allowed_hosts: readonly string[];
  readonly cors_origins: readonly string[];
  readonly limits: { readonly body_bytes: number; readonly json_depth: number };
  readonly providers: readonly ProviderConfig[];
  readonly models: readonly ModelConfig[];
}

/** core-base's KeyStore, as the authenticate stage uses it. */
export interface KeyVerifier {
  /** Sync, in-memory: the principal for a presented virtual key, or null. */
  verify(presented: string): Principal | null;
}

/** One audit row (the contract in team.md; the audit area owns the schema and the table). */
export interface AuditRecord {
  trace_id: string;
  ts: number;
  tenant: string | null;
  user: string | null;
  key_id: string | null;
  api: string;
  requested_model: string | null;
  provider: string | null;
  endpoint: string | null;
  upstream_model: string | null;
  status: number;
  error_code: string | null;
  stream: boolean;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  total_tokens: number | null;
  latency_ms: number;
  upstream_ms: number | null;
  gateway_ms: number | null;
  request_sha256: string | null;
  response_sha256: string | null;
  rule: string | null;
  cost_usd: number | null;
  cache_hit: boolean;
  fallbacks: string[];
  redactions: Record<string, number>;
  decision: Record<string, unknown> | null;
}

/** The audit area's AuditWriter, as recordAudit uses it. */
export interface AuditAppender {
  /** Resolves once the row is committed (group commit). */
  append(record: AuditRecord): Promise<void>;
}

export interface AppDeps {
  readonly config: GatewayConfig;
  readonly keyStore: KeyVerifier;
  readonly auditWriter: AuditAppender;
  readonly events: RequestEvents;
  /** Defaults to fastify's own pino at `warn` (never logs bodies or auth headers). */
  readonly logger?: FastifyBaseLogger;
  /** Admin token for /admin/* (core-base generates it at first start). */
  readonly adminToken?: string;
  /** Daemon version reported by /admin/status. */
  readonly version?: string;
  /** /readyz answers 200 only when this returns true (stores open, config loaded). */
  readonly isReady?: () => boolean;
}
