// Moves WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the
// COMMIT that crosses 1000 WAL pages, and with synchronous=NORMAL it fsyncs the WAL and the
// database file there: measured on the daemon's audit inserts, one commit in ~50 then blocks
// the event loop for 5-30 ms (the p99 of every request in flight). Here the daemon's own
// connection stops checkpointing and a worker thread with a second connection to the same file
// runs a PASSIVE checkpoint (never waits for readers or the writer) every `intervalMs`.
// Durability is unchanged: commits still reach the WAL at COMMIT; only copying them into the
// main file moves. When the daemon stops, closing its connection checkpoints what is left.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { SqliteDatabase } from './db.js';
import { SQLITE_DRIVER } from './sqlite-driver.js';

/** What one checkpoint did (PRAGMA wal_checkpoint's row). */
export interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

export interface WalCheckpointer {
  /** Runs one checkpoint now (tests, and the interval's own work). */
  checkpoint(): Promise<CheckpointResult>;
  /** Stops the worker and gives the daemon's connection its automatic checkpoints back. */
  close(): Promise<void>;
}

export interface WalCheckpointerOptions {
  /** Between checkpoints; default 1000 ms. */
  readonly intervalMs?: number;
  /** Where a failed checkpoint is reported (default: stderr). */
  readonly log?: (line: string) => void;
}

/** SQLite's default wal_autocheckpoint, restored on close. */
const AUTOCHECKPOINT_PAGES = 1000;

// Plain CommonJS evaluated in the worker (no build step, works from dist/ and under tsx alike).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 5000');
const run = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
const report = (id) => {
  try { parentPort.postMessage({ id, result: run() }); }
  catch (error) { parentPort.postMessage({ id, error: String(error && error.message || error) }); }
};
const timer = setInterval(() => report(0), workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'checkpoint') report(message.id);
  else if (message.type === 'close') { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

interface WorkerReply {
  readonly id: number;
  readonly result?: CheckpointResult;
  readonly error?: string;
}

export function startWalCheckpointer(db: SqliteDatabase, options: WalCheckpointerOptions = {}): WalCheckpointer {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const driver = createRequire(import.meta.url).resolve(SQLITE_DRIVER);
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file: db.name, intervalMs: options.intervalMs ?? 1000 }, execArgv: [] });
  worker.unref();
  db.pragma('wal_autocheckpoint = 0');

  let nextId = 1;
  const waiting = new Map<number, { resolve(result: CheckpointResult): void; reject(error: Error): void }>();
  worker.on('message', (reply: WorkerReply) => {
    const caller = waiting.get(reply.id);
    waiting.delete(reply.id);
    if (reply.error !== undefined) {
      if (caller !== undefined) caller.reject(new Error(reply.error));
      else log(`kagami: WAL checkpoint failed: ${reply.error}`);
    } else if (caller !== undefined && reply.result !== undefined) {
      caller.resolve(reply.result);
    }
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      exited = true;
      // Without the worker nobody checkpoints: the daemon's connection does it again itself.
      if (db.open) db.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      for (const caller of waiting.values()) caller.reject(new Error('the WAL checkpointer stopped'));
      waiting.clear();
      resolve();
    });
  });
  worker.on('error', (error) => log(`kagami: WAL checkpointer stopped: ${error.message}; checkpoints run in the daemon's thread again`));

  return {
    checkpoint() {
      if (exited) return Promise.reject(new Error('the WAL checkpointer stopped'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ type: 'checkpoint', id });
      });
    },
    async close() {
      if (!exited) {
        // Kept alive until it has closed its connection: an unref'd worker would let the
        // process end (exit code 13 under a top-level await) before its 'exit' event.
        worker.ref();
        worker.postMessage({ type: 'close' });
      }
      await exit;
    },
  };
}
