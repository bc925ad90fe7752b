// The audit writer's worker thread (`audit.writer: worker_thread`), as the writer
// (audit-writer.ts) drives it: starting it from dist/ or from TypeScript sources, the messages
// both sides exchange, and keeping the process alive only while a write is unanswered.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../workers/start-worker.js';
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

export interface WriterThread {
  /** Posts a write; `inFlight` is how many writes are unanswered now (the thread is ref'd while any is). */
  post(message: ToWriterWorker, inFlight: number): void;
  /** After an answer: unref the thread when nothing is in flight any more. */
  idle(inFlight: number): void;
  close(): Promise<void>;
}

/**
 * The writer's worker thread. It keeps the process alive only while a write is unanswered, so
 * a finished CLI or test ends without close() and a pending write is never cut off.
 */
export function startWriterThread(data: WriterWorkerData, onReply: (reply: FromWriterWorker) => void, onStopped: (error: Error) => void): WriterThread {
  const worker = startWorker(data);
  worker.unref();
  let closing = false;
  worker.on('message', onReply);
  worker.on('error', (error) => onStopped(error));
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', (code) => {
      if (!closing) onStopped(new Error(`exited with code ${code}`));
      resolve();
    }),
  );
  return {
    post(message, inFlight) {
      if (inFlight === 1) worker.ref();
      worker.postMessage(message);
    },
    idle(inFlight) {
      if (inFlight === 0 && !closing) worker.unref();
    },
    async close() {
      closing = true;
      // Kept alive until it has closed its connection: an unref'd worker would let the
      // process end (exit code 13 under a top-level await) before its 'exit' event.
      worker.ref();
      worker.postMessage({ type: 'close' } satisfies ToWriterWorker);
      await exited;
    },
  };
}

/** The writer worker (audit-writer-worker.ts), compiled or through tsx (workers/start-worker.ts). */
function startWorker(workerData: WriterWorkerData): Worker {
  return startModuleWorker(import.meta.url, 'audit-writer-worker', workerData);
}
