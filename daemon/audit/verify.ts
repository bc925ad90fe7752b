// `kagami audit verify`: walks the whole trail in seq order from the prune anchor (or genesis),
// recomputing every row's hash and its link to the previous row, and stops at the FIRST row
// that was altered, removed or inserted. Then it checks the signed checkpoints, in the trail
// and in <data_dir>/audit-checkpoint.json, so a chain rewritten end to end (or a whole file
// swapped for another) is caught too, and rows cut off the end after the last checkpoint.
import type { KeyObject } from 'node:crypto';
import { COLUMNS, TABLES, type AuditStore, type RawEntry } from './audit-store.js';
import {
  CHECKPOINT_EVENT,
  isCheckpointDetails,
  verifyCheckpointSignature,
  type CheckpointDetails,
} from './checkpoints.js';
import { GENESIS_HASH, hashRow } from './hash-chain.js';

export type ProblemKind =
  | 'altered'
  | 'removed'
  | 'inserted'
  | 'checkpoint_forged'
  | 'checkpoint_mismatch'
  | 'truncated';

export interface VerifyProblem {
  readonly kind: ProblemKind;
  readonly seq: number;
  readonly table: string | null;
  readonly traceId: string | null;
  readonly message: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Rows checked. */
  readonly rows: number;
  readonly first: number | null;
  readonly last: number | null;
  readonly anchor: { seq: number; hash: string } | null;
  /** Checkpoints whose signature and hash were checked. */
  readonly checkpoints: number;
  readonly problem: VerifyProblem | null;
  /** Things that weaken the guarantee without being tampering (no key, no checkpoint yet). */
  readonly warnings: readonly string[];
}

export interface VerifyOptions {
  /** Trusted checkpoint public key; without one, signatures cannot be checked (a warning). */
  readonly publicKey: KeyObject | null;
  /** The latest checkpoint kept outside the database, if any. */
  readonly externalCheckpoint: CheckpointDetails | null;
  readonly batchSize?: number;
}

const describe = (entry: RawEntry) => {
  const traceIndex = (COLUMNS[entry.kind] as readonly string[]).indexOf('trace_id');
  const traceId = traceIndex >= 0 ? (entry.values[traceIndex] as string | null) : null;
  return { seq: entry.seq, table: TABLES[entry.kind], traceId };
};

const where = (entry: RawEntry) => {
  const { seq, table, traceId } = describe(entry);
  return `seq ${seq} in ${table}${traceId ? ` (trace ${traceId})` : ''}`;
};

const recomputes = (entry: RawEntry) => hashRow(entry.kind, entry.seq, entry.prevHash, entry.values) === entry.hash;

export function verifyTrail(store: AuditStore, options: VerifyOptions): VerifyReport {
  const batchSize = options.batchSize ?? 2000;
  const anchor = store.anchor();
  const warnings: string[] = [];
  let expectedSeq = (anchor?.seq ?? 0) + 1;
  let prevHash = anchor?.hash ?? GENESIS_HASH;
  let rows = 0;
  let first: number | null = null;
  let previous: RawEntry | null = null;
  let checkpoints = 0;
  const pendingCheckpoints: { entry: RawEntry; details: CheckpointDetails }[] = [];

  const report = (problem: VerifyProblem | null): VerifyReport => ({
    ok: problem === null,
    rows,
    first,
    last: expectedSeq - 1 >= (anchor?.seq ?? 0) + 1 ? expectedSeq - 1 : null,
    anchor,
    checkpoints,
    problem,
    warnings,
  });
  const problemAt = (kind: ProblemKind, entry: RawEntry, message: string): VerifyProblem => ({ kind, ...describe(entry), message });

  /** The verified hash at `seq`, or null when it is before the anchor. */
  const verifiedHashAt = (seq: number): string | null => {
    if (anchor !== null && seq === anchor.seq) return anchor.hash;
    if (seq < expectedSeq && seq > (anchor?.seq ?? 0)) return store.readAt(seq)[0]?.hash ?? null;
    return null;
  };

  const checkCheckpoint = (details: CheckpointDetails, label: string, entry: RawEntry | null): VerifyProblem | null => {
    const fail = (kind: ProblemKind, message: string): VerifyProblem =>
      entry ? problemAt(kind, entry, message) : { kind, seq: details.seq, table: null, traceId: null, message };
    if (options.publicKey !== null && !verifyCheckpointSignature(options.publicKey, details)) {
      return fail('checkpoint_forged', `${label}: signature does not verify with the trusted checkpoint key (forged, or the file was replaced)`);
    }
    if (anchor !== null && details.seq < anchor.seq) return null; // covered rows were pruned after delivery
    const hash = verifiedHashAt(details.seq);
    if (hash === null) {
      return fail('truncated', `${label} covers seq ${details.seq} but the trail ends at seq ${expectedSeq - 1}: rows were removed from the end`);
    }
    if (hash !== details.hash) {
      return fail('checkpoint_mismatch', `${label} signed hash ${details.hash.slice(0, 16)}… at seq ${details.seq}, the trail has ${hash.slice(0, 16)}…: the chain up to seq ${details.seq} was rewritten`);
    }
    checkpoints += 1;
    return null;
  };

  let after = anchor?.seq ?? 0;
  for (;;) {
    const batch = store.readAfter(after, batchSize);
    if (batch.length === 0) break;
    for (let index = 0; index < batch.length; index++) {
      const entry = batch[index] as RawEntry;
      const next = batch[index + 1];
      if (entry.seq < expectedSeq) {
        // A second row with a seq already verified: it was added afterwards.
        return report(problemAt('inserted', entry, `${where(entry)} was inserted: seq ${entry.seq} already belongs to another row`));
      }
      if (entry.seq > expectedSeq) {
        const gap = entry.seq - expectedSeq;
        // Named by the first missing seq (what is gone cannot say its table or trace).
        return report({
          kind: 'removed',
          seq: expectedSeq,
          table: null,
          traceId: null,
          message: `${gap === 1 ? `seq ${expectedSeq} was` : `seq ${expectedSeq}…${entry.seq - 1} were`} removed (the trail jumps from seq ${expectedSeq - 1} to ${where(entry)})`,
        });
      }
      if (next !== undefined && next.seq === entry.seq) {
        // Two rows share a seq: the one that does not link is the inserted one.
        const inserted = entry.prevHash === prevHash && recomputes(entry) ? next : entry;
        return report(problemAt('inserted', inserted, `${where(inserted)} was inserted: seq ${entry.seq} already belongs to another row`));
      }
      if (!recomputes(entry)) {
        return report(problemAt('altered', entry, `${where(entry)} was altered: its content no longer matches its hash`));
      }
      if (entry.prevHash !== prevHash) {
        if (previous !== null && entry.prevHash === previous.prevHash) {
          // It links to the row two back: the row before it was put in between (and the rest renumbered).
          return report(problemAt('inserted', previous, `${where(previous)} was inserted: seq ${entry.seq} links past it to seq ${previous.seq - 1}`));
        }
        return report(problemAt('altered', entry,
          `${where(entry)} does not link to seq ${entry.seq - 1}: seq ${entry.seq - 1} was altered (its hash recomputed) or replaced`));
      }
      if (entry.kind === 'admin' && entry.values[(COLUMNS.admin as readonly string[]).indexOf('type')] === CHECKPOINT_EVENT) {
        const details: unknown = JSON.parse(entry.values[(COLUMNS.admin as readonly string[]).indexOf('details')] as string);
        if (isCheckpointDetails(details)) pendingCheckpoints.push({ entry, details });
      }
      first ??= entry.seq;
      previous = entry;
      rows += 1;
      prevHash = entry.hash;
      expectedSeq += 1;
      // A checkpoint covers rows before it; check it once they are verified.
      for (const { entry: checkpointEntry, details } of pendingCheckpoints.splice(0)) {
        const problem = checkCheckpoint(details, `checkpoint at ${where(checkpointEntry)}`, checkpointEntry);
        if (problem !== null) return report(problem);
      }
    }
    after = (batch[batch.length - 1] as RawEntry).seq;
  }

  if (options.externalCheckpoint !== null) {
    const problem = checkCheckpoint(options.externalCheckpoint, 'the checkpoint file', null);
    if (problem !== null) return report(problem);
  } else if (rows > 0) {
    warnings.push('no checkpoint file outside the database: a whole-file replacement could only be caught by the checkpoints in the SIEM');
  }
  if (options.publicKey === null) warnings.push('no checkpoint key available: checkpoint signatures were not checked');
  if (checkpoints === 0 && rows > 0) warnings.push('no signed checkpoint covers the trail yet');
  return report(null);
}
