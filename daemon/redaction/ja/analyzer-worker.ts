// The Japanese analyzer's worker thread: owns the kuromoji dictionary (loaded once, on the first
// message) and answers batches of texts with name and address spans, in order.
import { parentPort, workerData } from 'node:worker_threads';
import { analyzeJapaneseText } from './analyze-text.js';
import type { FromWorker, ToWorker, WorkerData, WorkerResult } from './analyzer-protocol.js';
import { loadTokenizer, type JapaneseTokenizer } from './kuromoji-tokenizer.js';

const port = parentPort;
if (port === null) throw new Error('analyzer-worker.ts must run in a worker thread');
const data = (workerData ?? {}) as WorkerData;
let tokenizer: Promise<JapaneseTokenizer> | undefined;

function reply(results: WorkerResult[]): void {
  const message: FromWorker = { kind: 'results', results };
  port!.postMessage(message);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

port.on('message', (message: ToWorker) => {
  tokenizer ??= loadTokenizer(data.dicPath);
  tokenizer.then(
    (loaded) => {
      if (message.kind === 'warmup') return reply([{ id: message.id, spans: [] }]);
      reply(
        message.items.map(({ id, text }): WorkerResult => {
          try {
            return { id, spans: analyzeJapaneseText(loaded, text) };
          } catch (error) {
            return { id, error: errorText(error) };
          }
        }),
      );
    },
    (error: unknown) => {
      const ids = message.kind === 'warmup' ? [message.id] : message.items.map((item) => item.id);
      reply(ids.map((id) => ({ id, error: errorText(error) })));
      tokenizer = undefined; // a later request tries the load again
    },
  );
});
