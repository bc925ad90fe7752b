// Messages between the audit writer (audit-writer.ts) and its thread (audit-writer-worker.ts).
import type { QueuedRow, SliceResult } from './chain-writer.js';

export interface WriterWorkerData {
  /** The database file (the daemon's connection's `name`). */
  readonly file: string;
}

export type ToWriterWorker =
  | { readonly type: 'write'; readonly id: number; readonly rows: readonly QueuedRow[] }
  | { readonly type: 'close' };

export interface FromWriterWorker {
  /** The id of the write it answers. */
  readonly id: number;
  readonly results: SliceResult[];
}
