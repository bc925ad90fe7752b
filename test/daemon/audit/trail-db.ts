// A fresh kagami.db with the audit tables in a temp dir, and sample records, for audit tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecord } from '../../../shared/schemas/audit.js';
import { checkpointKeyAccount } from '../../../daemon/audit/checkpoint-key.js';
import { deleteKeychainSecret } from '../../../daemon/secrets/keychain.js';
import { openDatabase, type SqliteDatabase } from '../../../daemon/store/db.js';
import { auditMigrations } from '../../../daemon/store/migrations/audit.js';

export interface TrailDb {
  readonly dir: string;
  readonly db: SqliteDatabase;
  remove(): void;
}

export function openTrailDb(): TrailDb {
  const dir = mkdtempSync(join(tmpdir(), 'kagami-audit-'));
  const db = openDatabase(dir, { migrations: [auditMigrations] });
  return {
    dir,
    db,
    remove() {
      if (db.open) db.close();
      forgetCheckpointKey(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function sampleRecord(overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    trace_id: `trace-${Math.random().toString(16).slice(2, 14)}`,
    ts: 1_760_000_000_000,
    tenant: 'acme',
    user: 'alice',
    key_id: 'key_1',
    api: 'openai.chat',
    requested_model: 'gpt-4o-mini',
    provider: 'openai',
    endpoint: 'gpt-4o-mini',
    upstream_model: 'gpt-4o-mini-2024-07-18',
    status: 200,
    error_code: null,
    stream: false,
    prompt_tokens: 12,
    completion_tokens: 30,
    total_tokens: 42,
    latency_ms: 812.25,
    upstream_ms: 800.5,
    gateway_ms: 11.75,
    request_sha256: 'a'.repeat(64),
    response_sha256: 'b'.repeat(64),
    rule: 'default',
    cost_usd: 0.0000198,
    cache_hit: false,
    fallbacks: [],
    redactions: { 'EMAIL:mask': 1 },
    decision: { candidates: ['openai'] },
    ...overrides,
  };
}

/**
 * Removes the checkpoint key a daemon created for this data dir from the OS keychain (one entry
 * per data dir), so test runs leave no entries behind. Call before the data dir is deleted.
 */
export function forgetCheckpointKey(dataDir: string): void {
  try {
    deleteKeychainSecret(checkpointKeyAccount(dataDir));
  } catch {
    // no keychain reachable: the key was a file in the data dir
  }
}
