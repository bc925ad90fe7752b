// The trail's tamper evidence: every row's hash covers its table, its position in the one
// global sequence, the previous row's hash and its stored column values, so changing,
// removing or inserting a row breaks the chain at that row. Verify recomputes the same
// function over the rows as SQLite returns them, so the hash is over the stored form.
import { hash } from 'node:crypto';
import type { AuditKind } from '../../shared/schemas/audit.js';
import { jsonBytes } from '../pipeline/json-bytes.js';

/** prev_hash of the first row ever written. */
export const GENESIS_HASH = '0'.repeat(64);

const DOMAIN = 'kagami-audit/v1\n';

/** A value as SQLite stores and returns it (no blobs or bigints in the trail). */
export type SqlValue = string | number | null;

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** hashRow's reused content array, one per row length (each table has a fixed column count). */
const CONTENT_BY_LENGTH = new Map<number, SqlValue[]>();

/**
 * SHA-256 over the canonical content: a JSON array [kind, seq, prevHash, ...values] with the
 * values in the table's column order (audit-store.ts COLUMNS). JSON.stringify of numbers is
 * exact for the doubles SQLite returns, and of strings is unambiguous, so equal stored rows
 * give equal hashes on every platform.
 */
export function hashRow(kind: AuditKind, seq: number, prevHash: string, values: readonly SqlValue[]): string {
  // A reused array instead of `[kind, seq, prevHash, ...values]` per row (allocation on the
  // request path). hashRow is synchronous, so no other call sees it half filled; it is emptied
  // after use so it keeps no row alive.
  const length = 3 + values.length;
  let content = CONTENT_BY_LENGTH.get(length);
  if (content === undefined) {
    content = new Array<SqlValue>(length).fill(null);
    CONTENT_BY_LENGTH.set(length, content);
  }
  content[0] = kind;
  content[1] = seq;
  content[2] = prevHash;
  for (let i = 0; i < values.length; i++) content[3 + i] = values[i] as SqlValue;
  // The same bytes as DOMAIN + JSON.stringify(content), without its garbage
  // (pipeline/json-bytes.ts), hashed one-shot (no Hash object, a native one, per row).
  const bytes = jsonBytes(content, DOMAIN);
  const digest = hash('sha256', bytes ?? DOMAIN + JSON.stringify(content), 'hex');
  content.fill(null);
  return digest;
}
