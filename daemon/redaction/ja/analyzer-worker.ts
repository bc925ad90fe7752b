// The Japanese analyzer's worker thread: owns the kuromoji dictionary (loaded once, on the first
// message) and answers texts with name and address spans. Texts are analyzed through a
// round-robin run queue (analyzer-queue.ts) in turns of about TURN_MS: between turns the worker
// returns to its event loop, so texts that arrived meanwhile join the queue and a huge text
// cannot hold up the short ones behind it. Results go back at the end of each turn.
import { parentPort, workerData } from 'node:worker_threads';
import { createAnalyzerQueue, type AnalyzerQueue } from './analyzer-queue.js';
import type { FromWorker, ToWorker, WorkerData, WorkerResult } from './analyzer-protocol.js';
import { analyzeJapaneseText } from './analyze-text.js';
import { loadTokenizer, type JapaneseTokenizer } from './kuromoji-tokenizer.js';

const WARM_UP_TEXT = '担当の山田太郎さんに、東京都渋谷区恵比寿１丁目１８－１へ書類を送ってください。ジョン・スミス氏も同席します。';

/** A turn ends after the step that crosses this many ms (a step is one segment: ~5-15 ms). */
const TURN_MS = 8;

const port = parentPort;
if (port === null) throw new Error('analyzer-worker.ts must run in a worker thread');
const data = (workerData ?? {}) as WorkerData;
let loading: Promise<{ readonly tokenizer: JapaneseTokenizer; readonly queue: AnalyzerQueue }> | undefined;
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
  loading ??= loadTokenizer(data.dicPath).then((tokenizer) => ({ tokenizer, queue: createAnalyzerQueue(tokenizer) }));
  loading.then(
    ({ tokenizer, queue }) => {
      if (message.kind === 'warmup') {
        // One analysis too, so what loads on first use after the dictionary (the name tagger's
        // model, JIT) is not paid by the first request either.
        analyzeJapaneseText(tokenizer, WARM_UP_TEXT);
        return post({ kind: 'results', results: [{ id: message.id, spans: [] }] });
      }
      if (message.kind === 'cancel') return queue.cancel(message.ids);
      for (const { id, text } of message.items) queue.add(id, text);
      scheduleTurn(queue);
    },
    (error: unknown) => {
      if (message.kind === 'cancel') return;
      const ids = message.kind === 'warmup' ? [message.id] : message.items.map((item) => item.id);
      post({ kind: 'results', results: ids.map((id) => ({ id, error: errorText(error) })) });
      loading = undefined; // a later request tries the load again
    },
  );
});
