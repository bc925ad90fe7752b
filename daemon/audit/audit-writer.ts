// The audit trail's only writer. Rows are queued and written by group commit: everything
// appended during one event-loop turn (or up to MAX_BATCH rows) goes into ONE transaction on
// the next setImmediate, and each append() promise resolves after that COMMIT. recordAudit
// awaits it before finishing the response, so a response never exists without its row.
// Durability: WAL with synchronous=NORMAL writes the WAL frames to the OS at COMMIT, so a
// SIGKILL of the daemon loses nothing committed (a power cut may lose the last few commits;
// synchronous=FULL would close that too, at an fsync per batch).
//
// The writer owns the chain head in memory (seq, hash), so hashing needs no read per row.
// It is the only process that appends (the daemon holds the data dir's lock); the CLI opens
// the file for reading. Should a batch fail anyway (disk full, a row already at that seq), the
// failure is logged and the head is re-read from the database before the next batch, so one
// failure costs that batch's requests and never every request after it.
import type { Database } from 'better-sqlite3';
import type { AdminEvent, AuditKind, AuditRecord, RedactionLogEntry } from '../../shared/schemas/audit.js';
import { createAuditStore, storedValues, type AuditStore, type RawEntry } from './audit-store.js';
import { hashRow, type ChainHead, type SqlValue } from './hash-chain.js';

/** Rows per transaction at most; a bigger backlog is written in several back-to-back ones. */
const MAX_BATCH = 1000;

/**
 * A redaction finding as the redaction stage reports it. Only these fields are stored: the
 * matched text itself never is (a masked preview is, when the detector produced one).
 */
export interface RedactionFindingInput {
  readonly entityType?: string;
  readonly entity_type?: string;
  readonly type?: string;
  readonly detector?: string;
  readonly score?: number;
  readonly action?: string;
  readonly location?: string | null;
  readonly path?: string | null;
  readonly start?: number | null;
  readonly end?: number | null;
  /** Masked preview ("j***@e******.com"); never the raw value. */
  readonly preview?: string | null;
  readonly masked?: string | null;
}

export interface AuditWriter {
  /** Resolves once the row is committed. */
  append(record: AuditRecord): Promise<void>;
  /** One redaction-log row per finding; resolves once committed. */
  appendRedactions(traceId: string, findings: readonly RedactionFindingInput[], ts?: number): Promise<void>;
  /** Resolves with the event row's seq once committed. */
  appendAdminEvent(event: Omit<AdminEvent, 'ts' | 'tenant'> & { ts?: number; tenant?: string | null }): Promise<number>;
  /** Resolves when everything appended so far is committed. */
  flush(): Promise<void>;
  /** Flushes, then refuses further appends. */
  close(): Promise<void>;
  /** The last committed row. */
  head(): ChainHead;
  /** Called after every COMMIT with the new head and how many rows it added. */
  onCommit(listener: (head: ChainHead, rows: number) => void): () => void;
}

interface Pending {
  readonly kind: AuditKind;
  readonly values: SqlValue[];
  readonly done: Deferred;
}

interface Deferred {
  resolve(lastSeq: number): void;
  reject(error: unknown): void;
  /** Rows of this call still uncommitted (a call may span batches). */
  remaining: number;
}

export interface AuditWriterOptions {
  readonly store?: AuditStore;
  readonly now?: () => number;
  /** Where a failed batch is reported (default: stderr). Never given row contents. */
  readonly log?: (line: string) => void;
}

export function createAuditWriter(db: Database, options: AuditWriterOptions = {}): AuditWriter {
  const store = options.store ?? createAuditStore(db);
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let head = store.head();
  /** Set after a failed batch: the in-memory head may be wrong, re-read it before writing. */
  let headStale = false;
  let queue: Pending[] = [];
  let scheduled: NodeJS.Immediate | null = null;
  let closed = false;
  let flushWaiters: (() => void)[] = [];
  const listeners = new Set<(head: ChainHead, rows: number) => void>();

  /** Resolves with the seq of the last of `rows` once committed. */
  function enqueue(rows: { kind: AuditKind; values: SqlValue[] }[]): Promise<number> {
    if (closed) return Promise.reject(new Error('audit writer is closed'));
    if (rows.length === 0) return Promise.resolve(head.seq);
    return new Promise<number>((resolve, reject) => {
      const done: Deferred = { resolve, reject, remaining: rows.length };
      for (const row of rows) queue.push({ ...row, done });
      scheduled ??= setImmediate(writeQueued);
    });
  }

  function writeQueued(): void {
    scheduled = null;
    const pending = queue;
    queue = [];
    for (let offset = 0; offset < pending.length; offset += MAX_BATCH) {
      writeBatch(pending.slice(offset, offset + MAX_BATCH));
    }
    const waiters = flushWaiters;
    flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  function writeBatch(batch: Pending[]): void {
    let entries: RawEntry[];
    try {
      if (headStale) {
        head = store.head();
        headStale = false;
      }
      entries = chainFromHead(batch);
      store.insert(entries);
    } catch (error) {
      // Nothing of this batch is in the file.
      headStale = true;
      log(`kagami: audit write of ${batch.length} row(s) after seq ${head.seq} failed: ${(error as Error).message}; re-reading the chain head before the next write`);
      for (const item of batch) item.done.reject(error);
      return;
    }
    const last = entries[entries.length - 1];
    if (last !== undefined) head = { seq: last.seq, hash: last.hash };
    batch.forEach((item, index) => {
      item.done.remaining -= 1;
      if (item.done.remaining === 0) item.done.resolve(entries[index]?.seq ?? head.seq);
    });
    for (const listener of listeners) listener(head, batch.length);
  }

  /** The batch's rows hashed onto the current head. */
  function chainFromHead(batch: Pending[]): RawEntry[] {
    let seq = head.seq;
    let prevHash = head.hash;
    return batch.map(({ kind, values }) => {
      seq += 1;
      const hash = hashRow(kind, seq, prevHash, values);
      const entry = { kind, seq, prevHash, hash, values };
      prevHash = hash;
      return entry;
    });
  }

  return {
    append: (record) => enqueue([{ kind: 'request', values: storedValues('request', record) }]).then(() => {}),
    appendRedactions(traceId, findings, ts = now()) {
      if (findings.length === 0) return Promise.resolve();
      return enqueue(findings.map((finding) => ({ kind: 'redaction', values: storedValues('redaction', toLogEntry(traceId, ts, finding)) }))).then(() => {});
    },
    appendAdminEvent(event) {
      const full: AdminEvent = { ts: event.ts ?? now(), type: event.type, actor: event.actor, tenant: event.tenant ?? null, details: event.details };
      return enqueue([{ kind: 'admin', values: storedValues('admin', full) }]);
    },
    flush() {
      if (scheduled === null) return Promise.resolve();
      return new Promise<void>((resolve) => flushWaiters.push(resolve));
    },
    async close() {
      if (closed) return;
      if (scheduled !== null) {
        clearImmediate(scheduled);
        writeQueued();
      }
      closed = true;
    },
    head: () => head,
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function toLogEntry(traceId: string, ts: number, finding: RedactionFindingInput): RedactionLogEntry {
  const int = (value: number | null | undefined) => (typeof value === 'number' && Number.isInteger(value) ? value : null);
  return {
    trace_id: traceId,
    ts,
    entity_type: finding.entityType ?? finding.entity_type ?? finding.type ?? 'UNKNOWN',
    detector: finding.detector ?? 'unknown',
    score: typeof finding.score === 'number' ? finding.score : 1,
    action: finding.action ?? 'unknown',
    location: finding.location ?? finding.path ?? null,
    start: int(finding.start),
    end: int(finding.end),
    preview: finding.preview ?? finding.masked ?? null,
  };
}
