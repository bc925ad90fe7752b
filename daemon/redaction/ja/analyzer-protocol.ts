// Messages between the analyzer (main thread, analyzer.ts) and its worker (analyzer-worker.ts).
// Requests travel in batches: everything asked for in one event-loop turn is one message.
import type { Span } from '../types.js';

export interface WorkerData {
  readonly dicPath?: string;
  /** Post a `turn` message after each turn of the run queue (observability, tests). */
  readonly reportTurns?: boolean;
}

export type ToWorker =
  | { readonly kind: 'warmup'; readonly id: number }
  | { readonly kind: 'detect'; readonly items: readonly { readonly id: number; readonly text: string }[] }
  /** Nobody waits for these any more (the client went away): drop them from the queue. */
  | { readonly kind: 'cancel'; readonly ids: readonly number[] };

export type WorkerResult =
  | { readonly id: number; readonly spans: Span[] }
  | { readonly id: number; readonly error: string };

export type FromWorker =
  | { readonly kind: 'results'; readonly results: readonly WorkerResult[] }
  /** After a turn of the run queue: how many texts are still being analyzed. */
  | { readonly kind: 'turn'; readonly pending: number };
