// SQL for the trail's chain: inserting hashed rows, reading them back in sequence order (for
// verify, the SIEM outbox, tail and export), the chain head, and pruning a prefix of the
// sequence behind an anchor. Column lists here are the single source of the stored form: the
// hash (hash-chain.ts) is computed over values in exactly this order.
import type { Database } from 'better-sqlite3';
import type {
  AdminEvent,
  AdminEventRow,
  AuditKind,
  AuditRecord,
  AuditRow,
  RedactionLogEntry,
  RedactionRow,
  TrailRow,
} from '../../shared/schemas/audit.js';
import { GENESIS_HASH, type ChainHead, type SqlValue } from './hash-chain.js';

export const COLUMNS = {
  request: [
    'trace_id', 'ts', 'tenant', 'user', 'key_id', 'api', 'requested_model', 'provider', 'endpoint',
    'upstream_model', 'status', 'error_code', 'stream', 'prompt_tokens', 'completion_tokens',
    'total_tokens', 'latency_ms', 'upstream_ms', 'gateway_ms', 'request_sha256', 'response_sha256',
    'rule', 'cost_usd', 'cache_hit', 'fallbacks', 'redactions', 'decision',
  ],
  redaction: ['trace_id', 'ts', 'entity_type', 'detector', 'score', 'action', 'location', 'start', 'end', 'preview'],
  admin: ['ts', 'type', 'actor', 'tenant', 'details'],
} as const satisfies Record<AuditKind, readonly string[]>;

export const TABLES = {
  request: 'audit_requests',
  redaction: 'audit_redactions',
  admin: 'audit_admin_events',
} as const satisfies Record<AuditKind, string>;

export const KINDS: readonly AuditKind[] = ['request', 'redaction', 'admin'];

/** A row as stored: chain fields plus the values in COLUMNS order. */
export interface RawEntry {
  readonly kind: AuditKind;
  readonly seq: number;
  readonly prevHash: string;
  readonly hash: string;
  readonly values: readonly SqlValue[];
}

type RawRow = Record<string, SqlValue>;

const quote = (column: string) => `"${column}"`;

const finiteOrNull = (value: number | null | undefined): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

/** The stored values of a record, in COLUMNS order. */
export function storedValues(kind: 'request', record: AuditRecord): SqlValue[];
export function storedValues(kind: 'redaction', record: RedactionLogEntry): SqlValue[];
export function storedValues(kind: 'admin', record: AdminEvent): SqlValue[];
export function storedValues(kind: AuditKind, record: AuditRecord | RedactionLogEntry | AdminEvent): SqlValue[] {
  if (kind === 'request') {
    const r = record as AuditRecord;
    return [
      r.trace_id, r.ts, r.tenant, r.user, r.key_id, r.api, r.requested_model, r.provider, r.endpoint,
      r.upstream_model, r.status, r.error_code, r.stream ? 1 : 0, finiteOrNull(r.prompt_tokens),
      finiteOrNull(r.completion_tokens), finiteOrNull(r.total_tokens), finiteOrNull(r.latency_ms) ?? 0,
      finiteOrNull(r.upstream_ms), finiteOrNull(r.gateway_ms), r.request_sha256, r.response_sha256, r.rule,
      finiteOrNull(r.cost_usd), r.cache_hit ? 1 : 0, arrayJson(r.fallbacks), objectJson(r.redactions),
      r.decision == null ? null : JSON.stringify(r.decision),
    ];
  }
  if (kind === 'redaction') {
    const r = record as RedactionLogEntry;
    return [r.trace_id, r.ts, r.entity_type, r.detector, finiteOrNull(r.score) ?? 0, r.action, r.location, r.start, r.end, r.preview];
  }
  const r = record as AdminEvent;
  return [r.ts, r.type, r.actor, r.tenant, JSON.stringify(r.details ?? {})];
}

// The usual empty values as constants: JSON.stringify allocates even for `[]` and `{}`, per request.
function arrayJson(value: readonly unknown[] | undefined): string {
  return value === undefined || value.length === 0 ? '[]' : JSON.stringify(value);
}

function objectJson(value: Readonly<Record<string, unknown>> | undefined): string {
  if (value === undefined) return '{}';
  for (const _key in value) return JSON.stringify(value);
  return '{}';
}

/** A stored row turned back into its schema type. */
export function parseEntry(entry: RawEntry): TrailRow {
  const fields: Record<string, unknown> = { seq: entry.seq, prev_hash: entry.prevHash, hash: entry.hash };
  COLUMNS[entry.kind].forEach((column, index) => {
    fields[column] = entry.values[index] ?? null;
  });
  if (entry.kind === 'request') {
    fields.stream = fields.stream === 1;
    fields.cache_hit = fields.cache_hit === 1;
    fields.fallbacks = JSON.parse(fields.fallbacks as string);
    fields.redactions = JSON.parse(fields.redactions as string);
    fields.decision = fields.decision === null ? null : JSON.parse(fields.decision as string);
    return { kind: 'request', row: fields as AuditRow };
  }
  if (entry.kind === 'redaction') return { kind: 'redaction', row: fields as RedactionRow };
  fields.details = JSON.parse(fields.details as string);
  return { kind: 'admin', row: fields as AdminEventRow };
}

export function rawFromRow(kind: AuditKind, row: RawRow): RawEntry {
  return {
    kind,
    seq: row.seq as number,
    prevHash: row.prev_hash as string,
    hash: row.hash as string,
    values: COLUMNS[kind].map((column) => row[column] ?? null),
  };
}

export interface AuditStore {
  /** The last row of the chain (or the prune anchor, or genesis when empty). */
  head(): ChainHead;
  /** Inserts already-hashed rows in one transaction. */
  insert(entries: readonly RawEntry[]): void;
  /** Up to `limit` rows with seq > after, in seq order across the three tables. */
  readAfter(after: number, limit: number): RawEntry[];
  /** All rows with this seq (more than one means an inserted duplicate). */
  readAt(seq: number): RawEntry[];
  anchor(): ChainHead | null;
  /** Highest seq such that every row up to it has ts < beforeTs (0 if none). */
  lastSeqBefore(beforeTs: number): number;
  /** Deletes every row with seq <= upTo and records the last one as the anchor, atomically. */
  prune(upTo: number, now: number): { deleted: number; anchor: ChainHead } | null;
  /** Row counts per table (status, tests). */
  count(): Record<AuditKind, number>;
}

export function createAuditStore(db: Database): AuditStore {
  const insertStatements = Object.fromEntries(
    KINDS.map((kind) => {
      const columns = ['seq', 'prev_hash', 'hash', ...COLUMNS[kind]];
      const sql = `INSERT INTO ${TABLES[kind]} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`;
      return [kind, db.prepare<SqlValue[]>(sql)];
    }),
  ) as Record<AuditKind, ReturnType<typeof db.prepare<SqlValue[]>>>;

  const afterStatements = Object.fromEntries(
    KINDS.map((kind) => [kind, db.prepare<[number, number], RawRow>(`SELECT * FROM ${TABLES[kind]} WHERE seq > ? ORDER BY seq LIMIT ?`)]),
  ) as Record<AuditKind, ReturnType<typeof db.prepare<[number, number], RawRow>>>;

  const atStatements = Object.fromEntries(
    KINDS.map((kind) => [kind, db.prepare<[number], RawRow>(`SELECT * FROM ${TABLES[kind]} WHERE seq = ?`)]),
  ) as Record<AuditKind, ReturnType<typeof db.prepare<[number], RawRow>>>;

  const maxStatements = KINDS.map((kind) =>
    db.prepare<[], { seq: number; hash: string }>(`SELECT seq, hash FROM ${TABLES[kind]} ORDER BY seq DESC LIMIT 1`),
  );
  const firstAtOrAfterTs = KINDS.map((kind) =>
    db.prepare<[number], { seq: number | null }>(`SELECT MIN(seq) AS seq FROM ${TABLES[kind]} WHERE ts >= ?`),
  );
  const maxSeqStatements = KINDS.map((kind) => db.prepare<[], { seq: number | null }>(`SELECT MAX(seq) AS seq FROM ${TABLES[kind]}`));
  const deleteStatements = KINDS.map((kind) => db.prepare<[number]>(`DELETE FROM ${TABLES[kind]} WHERE seq <= ?`));
  const countStatements = KINDS.map((kind) => db.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM ${TABLES[kind]}`));
  const anchorGet = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_anchor WHERE id = 1');
  const anchorSet = db.prepare<[number, string, number]>(
    `INSERT INTO audit_anchor (id, seq, hash, pruned_at) VALUES (1, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at = excluded.pruned_at`,
  );

  const insertAll = db.transaction((entries: readonly RawEntry[]) => {
    for (const entry of entries) insertStatements[entry.kind].run(entry.seq, entry.prevHash, entry.hash, ...entry.values);
  });

  const anchor = (): ChainHead | null => anchorGet.get() ?? null;

  const readAfter = (after: number, limit: number): RawEntry[] => {
    const merged: RawEntry[] = [];
    KINDS.forEach((kind) => {
      for (const row of afterStatements[kind].all(after, limit)) merged.push(rawFromRow(kind, row));
    });
    merged.sort((a, b) => a.seq - b.seq);
    return merged.length > limit ? merged.slice(0, limit) : merged;
  };

  const pruneTx = db.transaction((upTo: number, now: number) => {
    const last = KINDS.flatMap((kind) => atStatements[kind].all(upTo).map((row) => rawFromRow(kind, row)))[0];
    if (last === undefined) return null;
    let deleted = 0;
    for (const statement of deleteStatements) deleted += statement.run(upTo).changes;
    anchorSet.run(last.seq, last.hash, now);
    return { deleted, anchor: { seq: last.seq, hash: last.hash } };
  });

  return {
    head() {
      let best: ChainHead | null = null;
      for (const statement of maxStatements) {
        const row = statement.get();
        if (row !== undefined && (best === null || row.seq > best.seq)) best = row;
      }
      return best ?? anchor() ?? { seq: 0, hash: GENESIS_HASH };
    },
    insert: (entries) => insertAll(entries),
    readAfter,
    readAt: (seq) => KINDS.flatMap((kind) => atStatements[kind].all(seq).map((row) => rawFromRow(kind, row))),
    anchor,
    lastSeqBefore(beforeTs) {
      let firstYoung = Infinity;
      for (const statement of firstAtOrAfterTs) {
        const seq = statement.get(beforeTs)?.seq;
        if (seq != null) firstYoung = Math.min(firstYoung, seq);
      }
      if (firstYoung !== Infinity) return firstYoung - 1;
      return Math.max(0, ...maxSeqStatements.map((statement) => statement.get()?.seq ?? 0));
    },
    prune: (upTo, now) => pruneTx(upTo, now),
    count() {
      const [request, redaction, admin] = countStatements.map((statement) => statement.get()?.n ?? 0);
      return { request: request ?? 0, redaction: redaction ?? 0, admin: admin ?? 0 };
    },
  };
}
