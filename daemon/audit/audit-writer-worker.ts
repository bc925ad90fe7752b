// The audit writer's thread: its own connection to kagami.db, and the chain writer
// (chain-writer.ts) run on each batch the daemon's thread posts (one message per event-loop
// turn). Replies come in the order the batches were posted. See audit-writer.ts.
import { parentPort, workerData } from 'node:worker_threads';
import { Database } from '../store/sqlite-driver.js';
import { createAuditStore } from './audit-store.js';
import { createChainWriter } from './chain-writer.js';
import type { ToWriterWorker, WriterWorkerData } from './audit-writer-thread.js';

const { file } = workerData as WriterWorkerData;
const port = parentPort!;
const db = new Database(file, { fileMustExist: true });
// The same settings as the daemon's connection (daemon/store/db.ts): synchronous is per
// connection, and FULL (SQLite's default) would fsync every commit.
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
const chain = createChainWriter(createAuditStore(db));

port.on('message', (message: ToWriterWorker) => {
  if (message.type === 'write') {
    port.postMessage({ id: message.id, results: chain.write(message.rows) });
  } else {
    db.close();
    port.close();
  }
});
