// The Japanese analyzer: person names and addresses (kuromoji, IPADIC) computed OFF the event
// loop in one worker thread, and only for text that contains Japanese script, so ASCII prompts
// never start the worker nor wait for it. The dictionary (~0.5 s, most of the memory) loads once
// per worker: at warmup() (daemon start) or on the first Japanese text.
//
// Requests made in the same event-loop turn travel as one batch message. The worker analyzes
// texts round-robin, a segment of ~1,000 characters at a time (analyzer-queue.ts), so a huge
// text does not hold up the short texts asked for after it. If the worker dies (crash, out of memory, terminate) every pending request rejects with
// a clear error at once (nothing hangs) and the next request starts a fresh worker; a warmed
// analyzer re-warms the new worker right away.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../../workers/start-worker.js';
import { containsJapaneseScript, type JapaneseAnalyzer, type Span } from '../types.js';
import type { FromWorker, ToWorker, WorkerData } from './analyzer-protocol.js';

export interface JapaneseAnalyzerOptions {
  /** kuromoji dictionary folder (default: the one in the kuromoji package). */
  readonly dicPath?: string;
  /** Called with each worker started (observability; tests use it to count starts). */
  readonly onWorkerStart?: (worker: Worker) => void;
  /** Called after each turn of the worker's run queue with the texts still in it (tests, observability). */
  readonly onTurn?: (pending: number) => void;
}

export interface JapaneseAnalyzerHandle extends JapaneseAnalyzer {
  /**
   * Name and address spans (UTF-16 offsets into text); [] at once for text without Japanese
   * script. When `signal` aborts, the text leaves the worker's queue (a 200k-character prompt
   * whose client went away stops costing the worker) and the promise rejects with its reason.
   */
  detect(text: string, signal?: AbortSignal): Promise<Span[]>;
  /** Starts the worker and loads the dictionary now, so no request pays for it. */
  warmup(): Promise<void>;
  /** Stops the worker; pending requests reject. */
  close(): Promise<void>;
}

interface Pending {
  readonly resolve: (spans: Span[]) => void;
  readonly reject: (error: Error) => void;
}

/** The analyzer worker (analyzer-worker.ts), compiled or through tsx (workers/start-worker.ts). */
function startWorker(workerData: WorkerData): Worker {
  return startModuleWorker(import.meta.url, 'analyzer-worker', workerData);
}

export function createJapaneseAnalyzer(options: JapaneseAnalyzerOptions = {}): JapaneseAnalyzerHandle {
  const workerData: WorkerData = {
    ...(options.dicPath === undefined ? {} : { dicPath: options.dicPath }),
    ...(options.onTurn === undefined ? {} : { reportTurns: true }),
  };
  let worker: Worker | undefined;
  let nextId = 1;
  let warm = false;
  let closed = false;
  const pending = new Map<number, Pending>();
  let batch: { id: number; text: string }[] = [];

  function settle(message: FromWorker): void {
    if (message.kind === 'turn') return options.onTurn?.(message.pending);
    for (const result of message.results) {
      const request = pending.get(result.id);
      if (request === undefined) continue;
      pending.delete(result.id);
      if ('error' in result) request.reject(new Error(`Japanese analysis failed: ${result.error}`));
      else request.resolve(result.spans);
    }
    if (pending.size === 0) worker?.unref(); // an idle analyzer never keeps the process alive
  }

  function failAll(error: Error): void {
    const requests = [...pending.values()];
    pending.clear();
    batch = [];
    for (const request of requests) request.reject(error);
  }

  function ensureWorker(): Worker {
    if (worker !== undefined) return worker;
    const started = startWorker(workerData);
    let failure: Error | undefined;
    started.on('message', settle);
    started.on('error', (error) => {
      failure = error;
    });
    started.on('exit', (code) => {
      if (worker !== started) return;
      worker = undefined;
      if (closed) return;
      const reason = failure?.message ?? `exit code ${code}`;
      failAll(new Error(`the Japanese analyzer worker stopped (${reason}); the request was not analyzed`, { cause: failure }));
      if (warm) warmup().catch(() => undefined); // re-warm the replacement; errors surface on the next request
    });
    worker = started;
    options.onWorkerStart?.(started);
    return started;
  }

  function send(message: ToWorker): void {
    const target = ensureWorker();
    target.ref();
    target.postMessage(message);
  }

  function flush(): void {
    const items = batch;
    batch = [];
    if (items.length > 0 && !closed) send({ kind: 'detect', items });
  }

  function request(register: (id: number) => void): Promise<Span[]> {
    if (closed) return Promise.reject(new Error('the Japanese analyzer is closed'));
    const id = nextId++;
    return new Promise<Span[]>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      try {
        register(id);
      } catch (error) {
        pending.delete(id);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  function detect(text: string, signal?: AbortSignal): Promise<Span[]> {
    if (!containsJapaneseScript(text)) return Promise.resolve([]);
    if (signal?.aborted === true) return Promise.reject(signal.reason as Error);
    let requestId = 0;
    const cancel = (): void => cancelRequest(requestId, signal!.reason as Error);
    const result = request((id) => {
      requestId = id;
      if (batch.length === 0) queueMicrotask(flush);
      batch.push({ id, text });
    });
    if (signal === undefined) return result;
    signal.addEventListener('abort', cancel, { once: true });
    return result.finally(() => signal.removeEventListener('abort', cancel));
  }

  /** Rejects request `id` now and drops its text: from the batch if not sent yet, else from the worker's queue. */
  function cancelRequest(id: number, reason: Error): void {
    const request = pending.get(id);
    if (request === undefined) return;
    pending.delete(id);
    const queued = batch.findIndex((item) => item.id === id);
    if (queued !== -1) batch.splice(queued, 1);
    else if (worker !== undefined) worker.postMessage({ kind: 'cancel', ids: [id] } satisfies ToWorker);
    request.reject(reason);
    if (pending.size === 0) worker?.unref();
  }

  async function warmup(): Promise<void> {
    await request((id) => send({ kind: 'warmup', id }));
    warm = true;
  }

  async function close(): Promise<void> {
    closed = true;
    failAll(new Error('the Japanese analyzer is closed'));
    const stopping = worker;
    worker = undefined;
    if (stopping !== undefined) await stopping.terminate();
  }

  return { detect, detectJapanese: detect, warmup, close };
}
