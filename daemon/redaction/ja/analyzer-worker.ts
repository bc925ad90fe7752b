// The Japanese analyzer's worker thread: owns the kuromoji dictionary (loaded once, on the first
// message) and answers texts with name and address spans. Texts are analyzed through a
// round-robin run queue (analyzer-queue.ts) in turns of about TURN_MS: between turns the worker
// returns to its event loop, so texts that arrived meanwhile join the queue and a huge text
// cannot hold up the short ones behind it. Results go back at the end of each turn.
import { parentPort, workerData } from 'node:worker_threads';
import { createAnalyzerQueue, type AnalyzerQueue } from './analyzer-queue.js';
import type { FromWorker, ToWorker, WorkerData, WorkerResult } from './analyzer-protocol.js';
import { loadTokenizer } from './kuromoji-tokenizer.js';

/** A turn ends after the step that crosses this many ms (a step is one segment: ~10 ms at most). */
const TURN_MS = 8;

const port = parentPort;
if (port === null) throw new Error('analyzer-worker.ts must run in a worker thread');
const data = (workerData ?? {}) as WorkerData;
let queue: Promise<AnalyzerQueue> | undefined;
let turnScheduled = false;

function post(message: FromWorker): void {
  port!.postMessage(message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function runTurn(loaded: AnalyzerQueue): void {
  turnScheduled = false;
  const results: WorkerResult[] = [];
  const deadline = performance.now() + TURN_MS;
  do {
    const result = loaded.step();
    if (result !== undefined) results.push(result);
  } while (loaded.size > 0 && performance.now() < deadline);
  if (results.length > 0) post({ kind: 'results', results });
  if (data.reportTurns === true) post({ kind: 'turn', pending: loaded.size });
  scheduleTurn(loaded);
}

function scheduleTurn(loaded: AnalyzerQueue): void {
  if (turnScheduled || loaded.size === 0) return;
  turnScheduled = true;
  setImmediate(runTurn, loaded); // messages that arrived meanwhile are read before the next turn
}

port.on('message', (message: ToWorker) => {
  queue ??= loadTokenizer(data.dicPath).then(createAnalyzerQueue);
  queue.then(
    (loaded) => {
      if (message.kind === 'warmup') return post({ kind: 'results', results: [{ id: message.id, spans: [] }] });
      for (const { id, text } of message.items) loaded.add(id, text);
      scheduleTurn(loaded);
    },
    (error: unknown) => {
      const ids = message.kind === 'warmup' ? [message.id] : message.items.map((item) => item.id);
      post({ kind: 'results', results: ids.map((id) => ({ id, error: errorText(error) })) });
      queue = undefined; // a later request tries the load again
    },
  );
});
