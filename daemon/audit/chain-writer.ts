// The synchronous core of the audit writer: hashes queued rows onto the chain head and inserts
// them, up to MAX_BATCH rows per transaction. It runs in the writer's worker thread
// (audit-writer-worker.ts), or in the daemon's thread when the worker is unavailable.
// It owns the chain head (seq, hash) in memory, so hashing needs no read per row. Should a
// transaction fail (disk full, a row already at that seq), nothing of it is in the file: the
// head is re-read from the database before the next one, so one failure costs that slice's
// rows and never every row after it.
import type { AuditKind } from '../../shared/schemas/audit.js';
import type { AuditStore, RawEntry } from './audit-store.js';
import { hashRow, type ChainHead, type SqlValue } from './hash-chain.js';

/** Rows per transaction at most; a bigger backlog is written in several back-to-back ones. */
export const MAX_BATCH = 1000;

/** A row as the writer queues it: its table and its values in COLUMNS order (audit-store.ts). */
export interface QueuedRow {
  readonly kind: AuditKind;
  readonly values: SqlValue[];
}

/** What one transaction did: `rows` rows committed with `head` as the new head, or failed. */
export type SliceResult =
  | { readonly rows: number; readonly head: ChainHead }
  | { readonly rows: number; readonly error: string; readonly afterSeq: number };

export interface ChainWriter {
  /** Writes the rows in order, one transaction per MAX_BATCH; one result per transaction. */
  write(rows: readonly QueuedRow[]): SliceResult[];
}

export function createChainWriter(store: AuditStore): ChainWriter {
  let head = store.head();
  /** Set after a failed transaction: the in-memory head may be wrong, re-read it first. */
  let headStale = false;

  function writeSlice(slice: readonly QueuedRow[]): SliceResult {
    try {
      if (headStale) {
        head = store.head();
        headStale = false;
      }
      let seq = head.seq;
      let prevHash = head.hash;
      const entries: RawEntry[] = slice.map(({ kind, values }) => {
        seq += 1;
        const hash = hashRow(kind, seq, prevHash, values);
        const entry = { kind, seq, prevHash, hash, values };
        prevHash = hash;
        return entry;
      });
      store.insert(entries);
      head = { seq, hash: prevHash };
      return { rows: slice.length, head };
    } catch (error) {
      headStale = true;
      return { rows: slice.length, error: (error as Error).message, afterSeq: head.seq };
    }
  }

  return {
    write(rows) {
      const results: SliceResult[] = [];
      for (let offset = 0; offset < rows.length; offset += MAX_BATCH) results.push(writeSlice(rows.slice(offset, offset + MAX_BATCH)));
      return results;
    },
  };
}
