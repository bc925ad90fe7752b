// What the request path needs from the rest of the daemon, as small structural interfaces:
// buildApp(deps) receives the real parts (core-base's Config and KeyStore, the audit
// AuditWriter, …) and passes each stage the slice it reads. Tests hand in real parts too.
// The interfaces name only what the request path calls, so the real classes fit them.
import type { FastifyBaseLogger } from 'fastify';
import type { AuditRecord } from '../shared/schemas/audit.js';
import type { Config } from '../shared/schemas/config.js';
import type { Principal } from './pipeline/context.js';
import type { RequestEvents } from './events/channels.js';

/** core-base's KeyStore, as the authenticate stage uses it. */
export interface KeyVerifier {
  /** Sync, in-memory: the principal for a presented virtual key, or null. */
  verify(presented: string): Principal | null;
}

/** The audit area's AuditWriter, as recordAudit uses it. */
export interface AuditAppender {
  /** Resolves when the answer may finish: at once, or once committed with `audit.commit: before_response`. */
  append(record: AuditRecord): Promise<void>;
}

export interface AppDeps {
  readonly config: Config;
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
