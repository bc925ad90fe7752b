// The trail's tamper evidence: every row's hash covers its table, its position in the one
// global sequence, the previous row's hash and its stored column values, so changing,
// removing or inserting a row breaks the chain at that row. Verify recomputes the same
// function over the rows as SQLite returns them, so the hash is over the stored form.
import { createHash } from 'node:crypto';
import type { AuditKind } from '../../shared/schemas/audit.js';

/** prev_hash of the first row ever written. */
export const GENESIS_HASH = '0'.repeat(64);

const DOMAIN = 'kagami-audit/v1\n';

/** A value as SQLite stores and returns it (no blobs or bigints in the trail). */
export type SqlValue = string | number | null;

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/**
 * SHA-256 over the canonical content: a JSON array [kind, seq, prevHash, ...values] with the
 * values in the table's column order (audit-store.ts COLUMNS). JSON.stringify of numbers is
 * exact for the doubles SQLite returns, and of strings is unambiguous, so equal stored rows
 * give equal hashes on every platform.
 */
export function hashRow(kind: AuditKind, seq: number, prevHash: string, values: readonly SqlValue[]): string {
  return createHash('sha256')
    .update(DOMAIN)
    .update(JSON.stringify([kind, seq, prevHash, ...values]))
    .digest('hex');
}
