// Retention: rows older than `audit.keep_days` leave the local database, but only rows that
// every configured SIEM sink has acknowledged (the outbox cursors), and only as a prefix of the
// sequence, so the chain stays verifiable: the last removed row's seq and hash become the
// anchor verify starts from. With `audit.archive`, the removed rows are first written, whole
// (chain fields included, so the archive can be verified too), to
// <data_dir>/archive/audit-<first>-<last>.ndjson.gz. The prune itself is an admin event.
import { createWriteStream, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setImmediate as turn } from 'node:timers/promises';
import { createGzip } from 'node:zlib';
import type { AuditStore } from './audit-store.js';
import { parseEntry } from './audit-store.js';
import type { AuditWriter } from './audit-writer.js';

const DAY_MS = 86_400_000;
const READ_BATCH = 2000;
const PRUNE_SLICE = 5000;

export interface RetentionOptions {
  readonly store: AuditStore;
  readonly writer: Pick<AuditWriter, 'appendAdminEvent'>;
  /** The lowest seq every configured sink has acknowledged; null when no sink is configured. */
  readonly acknowledgedSeq: () => number | null;
  readonly keepDays: number;
  /** Directory for archives, or null to delete without archiving. */
  readonly archiveDir: string | null;
  readonly now?: () => number;
  /** Rows (by seq) deleted per transaction (default 5000). */
  readonly sliceRows?: number;
}

export interface RetentionResult {
  readonly deleted: number;
  readonly upTo: number | null;
  readonly archive: string | null;
  /** Why nothing (more) was pruned, for status/logs. */
  readonly heldBy: 'nothing-old-enough' | 'siem-not-acknowledged' | 'keep-forever' | null;
}

export async function runRetention(options: RetentionOptions): Promise<RetentionResult> {
  const { store, keepDays } = options;
  const now = (options.now ?? Date.now)();
  if (keepDays === 0) return { deleted: 0, upTo: null, archive: null, heldBy: 'keep-forever' };
  const from = store.anchor()?.seq ?? 0;
  const oldEnough = store.lastSeqBefore(now - keepDays * DAY_MS);
  const acknowledged = options.acknowledgedSeq();
  const upTo = acknowledged === null ? oldEnough : Math.min(oldEnough, acknowledged);
  if (upTo <= from) {
    const heldBy = oldEnough <= from ? 'nothing-old-enough' : 'siem-not-acknowledged';
    return { deleted: 0, upTo: null, archive: null, heldBy };
  }

  let archive: string | null = null;
  if (options.archiveDir !== null) archive = await writeArchive(store, options.archiveDir, from, upTo);
  // In slices, each its own transaction that moves the anchor, with a turn of the event loop
  // between them: deleting a year of rows must not stall requests for seconds.
  const sliceRows = options.sliceRows ?? PRUNE_SLICE;
  let deleted = 0;
  let anchor: { seq: number; hash: string } | null = null;
  for (let sliceEnd = Math.min(upTo, from + sliceRows); ; sliceEnd = Math.min(upTo, sliceEnd + sliceRows)) {
    const slice = store.prune(sliceEnd, now);
    if (slice === null) break;
    deleted += slice.deleted;
    anchor = slice.anchor;
    if (sliceEnd >= upTo) break;
    await turn();
  }
  if (anchor === null) return { deleted: 0, upTo: null, archive, heldBy: null };
  await options.writer.appendAdminEvent({
    type: 'audit.pruned',
    actor: 'daemon',
    details: { up_to_seq: anchor.seq, anchor_hash: anchor.hash, deleted, archive, keep_days: keepDays },
  });
  return { deleted, upTo: anchor.seq, archive, heldBy: acknowledged !== null && acknowledged < oldEnough ? 'siem-not-acknowledged' : null };
}

/** Writes rows (after, upTo] as gzip NDJSON, atomically (temp file + rename). */
async function writeArchive(store: AuditStore, dir: string, after: number, upTo: number): Promise<string> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `audit-${after + 1}-${upTo}.ndjson.gz`);
  const temporary = `${file}.partial`;
  function* lines(): Generator<string> {
    let cursor = after;
    while (cursor < upTo) {
      const batch = store.readAfter(cursor, READ_BATCH).filter((entry) => entry.seq <= upTo);
      if (batch.length === 0) return;
      for (const entry of batch) {
        const { kind, row } = parseEntry(entry);
        yield `${JSON.stringify({ kind, ...row })}\n`;
      }
      cursor = batch[batch.length - 1]!.seq;
    }
  }
  await pipeline(Readable.from(lines()), createGzip(), createWriteStream(temporary, { mode: 0o600 }));
  renameSync(temporary, file);
  return file;
}
