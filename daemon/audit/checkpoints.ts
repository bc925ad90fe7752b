// Signed checkpoints: every N rows or T seconds the daemon signs (seq, hash) of the chain head
// with its Ed25519 checkpoint key and appends the signature to the trail itself as an
// `audit.checkpoint` admin event (so it also reaches every SIEM sink), and writes the latest
// one to <data_dir>/audit-checkpoint.json outside the database. A rewritten chain, or a whole
// database file replaced by another, no longer matches a signature only the key holder can make.
import { createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import type { AuditWriter } from './audit-writer.js';
import type { ChainHead } from './hash-chain.js';

export const CHECKPOINT_EVENT = 'audit.checkpoint';
export const CHECKPOINT_FILE_NAME = 'audit-checkpoint.json';

export interface CheckpointDetails {
  /** The row the checkpoint covers (the head when it was signed). */
  readonly seq: number;
  readonly hash: string;
  /** When it was signed (ms). */
  readonly signed_at: number;
  readonly key_id: string;
  /** Ed25519 over checkpointMessage(), base64. */
  readonly signature: string;
}

export interface CheckpointKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyId: string;
}

export function checkpointMessage(seq: number, hash: string, signedAt: number): Buffer {
  return Buffer.from(`kagami-audit-checkpoint/v1\n${seq}\n${hash}\n${signedAt}`);
}

export function signCheckpoint(key: CheckpointKey, head: ChainHead, signedAt: number): CheckpointDetails {
  const signature = sign(null, checkpointMessage(head.seq, head.hash, signedAt), key.privateKey).toString('base64');
  return { seq: head.seq, hash: head.hash, signed_at: signedAt, key_id: key.keyId, signature };
}

export function isCheckpointDetails(value: unknown): value is CheckpointDetails {
  const v = value as Partial<CheckpointDetails> | null;
  return (
    typeof v === 'object' && v !== null && typeof v.seq === 'number' && typeof v.hash === 'string' &&
    typeof v.signed_at === 'number' && typeof v.key_id === 'string' && typeof v.signature === 'string'
  );
}

export function verifyCheckpointSignature(publicKey: KeyObject, details: CheckpointDetails): boolean {
  try {
    return verify(null, checkpointMessage(details.seq, details.hash, details.signed_at), publicKey, Buffer.from(details.signature, 'base64'));
  } catch {
    return false;
  }
}

export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

export function readCheckpointFile(path: string): CheckpointDetails | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed: unknown = JSON.parse(text);
  if (!isCheckpointDetails(parsed)) throw new Error(`${path}: not a kagami audit checkpoint`);
  return parsed;
}

/**
 * Replaces the file whole (write aside, then rename), off the event loop: under load a
 * checkpoint comes every `checkpoint_every_rows` rows, and the synchronous write and rename took
 * 1-2 ms of the daemon's thread each. One checkpoint runs at a time, so writes never interleave.
 */
async function writeCheckpointFile(path: string, details: CheckpointDetails): Promise<void> {
  const temporary = `${path}.tmp`;
  await writeFile(temporary, `${JSON.stringify(details, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

export interface CheckpointerOptions {
  readonly writer: AuditWriter;
  readonly key: CheckpointKey;
  /** Where the latest checkpoint is kept outside the database (null: not kept). */
  readonly file: string | null;
  readonly everyRows: number;
  readonly everyMs: number;
  readonly now?: () => number;
}

export interface Checkpointer {
  /** Signs the current head now (if anything was written since the last checkpoint); resolves once the file is written too. */
  checkpoint(): Promise<CheckpointDetails | null>;
  /** Writes a final checkpoint and stops the timer. */
  close(): Promise<void>;
}

export function createCheckpointer(options: CheckpointerOptions): Checkpointer {
  const { writer, key, file, everyRows, everyMs } = options;
  const now = options.now ?? Date.now;
  /** Seq of the last row a checkpoint covers, or of the checkpoint row itself (after a
   * restart nothing is known to be covered: the first checkpoint re-signs the head). */
  let covered = 0;
  let rowsSince = 0;
  let running: Promise<CheckpointDetails | null> | null = null;
  /** The last file write; writes run one after another, in checkpoint order. */
  let fileWrite: Promise<void> = Promise.resolve();

  async function checkpoint(): Promise<CheckpointDetails | null> {
    const head = writer.head();
    if (head.seq <= covered) return null;
    const details = signCheckpoint(key, head, now());
    rowsSince = 0;
    // The checkpoint row follows the head it covers; on its own it needs no checkpoint.
    const checkpointSeq = await writer.appendAdminEvent({ type: CHECKPOINT_EVENT, actor: 'daemon', details: { ...details } });
    covered = head.seq + 1 === checkpointSeq ? checkpointSeq : head.seq;
    // The file is written off the event loop, after the row; the next checkpoint need not wait for it.
    if (file !== null) {
      fileWrite = fileWrite.catch(() => {}).then(() => writeCheckpointFile(file, details));
      fileWrite.catch(() => {}); // reported to checkpoint()'s caller; a timed checkpoint tries again next time
    }
    return details;
  }

  const runOnce = () => {
    running ??= checkpoint().finally(() => {
      running = null;
    });
    return running;
  };

  const unsubscribe = writer.onCommit((_head, rows) => {
    rowsSince += rows;
    if (rowsSince >= everyRows && running === null) void runOnce().catch(() => {});
  });
  const timer = setInterval(() => void runOnce().catch(() => {}), everyMs);
  timer.unref();

  return {
    async checkpoint() {
      const details = await runOnce();
      await fileWrite;
      return details;
    },
    async close() {
      clearInterval(timer);
      unsubscribe();
      if (running !== null) await running;
      await runOnce();
      await fileWrite;
    },
  };
}
