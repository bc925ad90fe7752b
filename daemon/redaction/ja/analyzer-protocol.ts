// Messages between the analyzer (main thread, analyzer.ts) and its worker (analyzer-worker.ts).
// Requests travel in batches: everything asked for in one event-loop turn is one message.
import type { Span } from '../types.js';

export interface WorkerData {
  readonly dicPath?: string;
}

export type ToWorker =
  | { readonly kind: 'warmup'; readonly id: number }
  | { readonly kind: 'detect'; readonly items: readonly { readonly id: number; readonly text: string }[] };

export type WorkerResult =
  | { readonly id: number; readonly spans: Span[] }
  | { readonly id: number; readonly error: string };

export interface FromWorker {
  readonly kind: 'results';
  readonly results: readonly WorkerResult[];
}
