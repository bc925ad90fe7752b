// The SIEM outbox: every row of the audit trail (requests, redaction log, admin events, in
// one seq order) is delivered at least once to every configured sink, in order per sink.
// Each sink has its own loop and its own cursor in SQLite (siem_cursors): read the next batch
// after the cursor, send it, and only when the sink confirmed it move the cursor. A failure
// keeps the cursor and retries the same batch with exponential backoff and jitter, for as long
// as the sink is down (hours are fine: the trail itself is the queue, nothing is held in
// memory). After a crash the last unconfirmed batch is sent again; the event id (the row
// hash) lets the receiver drop the duplicates. Sinks are independent: one down sink never
// holds up another.
import { setTimeout as delay } from 'node:timers/promises';
import type { SinkStatus } from '../../shared/schemas/siem.js';
import type { AuditStore } from '../audit/audit-store.js';
import type { CursorStore } from './cursor-store.js';
import { toSiemEvent } from './siem-event.js';
import type { SiemSink } from './sink.js';

/** Time as the outbox sees it; tests pass a fake one to simulate hours of outage instantly. */
export interface OutboxClock {
  now(): number;
  /** Resolves after `ms`, or rejects/resolves early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: OutboxClock = {
  now: Date.now,
  sleep: (ms, signal) => delay(ms, undefined, { signal, ref: false }).catch(() => {}),
};

const BASE_BACKOFF_MS = 1000;

export interface OutboxSink {
  readonly sink: SiemSink;
  readonly batchSize: number;
}

export interface OutboxOptions {
  readonly store: Pick<AuditStore, 'readAfter'>;
  readonly cursors: CursorStore;
  readonly sinks: readonly OutboxSink[];
  /** The seq of the newest committed row (for lag). */
  readonly headSeq: () => number;
  readonly maxBackoffMs: number;
  /** Per-delivery timeout. */
  readonly timeoutMs: number;
  /** How often an idle sink looks for rows it was not told about (default 1 s). */
  readonly pollMs?: number;
  readonly clock?: OutboxClock;
  readonly random?: () => number;
  /** Told about each failed delivery (the daemon logs it). */
  readonly onError?: (sink: string, error: Error) => void;
}

export interface Outbox {
  start(): void;
  /** New rows were committed: wake idle sinks now instead of at their next poll. */
  kick(): void;
  status(): SinkStatus[];
  /** Resolves when every sink has delivered everything up to the current head. */
  caughtUp(): Promise<void>;
  stop(): Promise<void>;
}

interface SinkState {
  readonly entry: OutboxSink;
  cursor: number;
  deliveredAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  failures: number;
  retryAt: number | null;
  wake: (() => void) | null;
  loop: Promise<void> | null;
}

/** Exponential backoff with "equal jitter": half fixed, half random, capped. */
export function backoffMs(failures: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, BASE_BACKOFF_MS * 2 ** Math.min(failures - 1, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

export function createOutbox(options: OutboxOptions): Outbox {
  const { store, cursors, headSeq, maxBackoffMs, timeoutMs } = options;
  const clock = options.clock ?? realClock;
  const random = options.random ?? Math.random;
  const pollMs = options.pollMs ?? 1000;
  const stopping = new AbortController();
  const progress = new Set<() => void>();

  const states: SinkState[] = options.sinks.map((entry) => {
    const saved = cursors.get(entry.sink.id);
    return {
      entry,
      cursor: saved.seq,
      deliveredAt: saved.deliveredAt,
      lastError: saved.lastError,
      lastErrorAt: saved.lastErrorAt,
      failures: 0,
      retryAt: null,
      wake: null,
      loop: null,
    };
  });

  async function waitForWork(state: SinkState): Promise<void> {
    const waiting = new AbortController();
    const onStop = () => waiting.abort();
    stopping.signal.addEventListener('abort', onStop, { once: true });
    state.wake = () => waiting.abort();
    await clock.sleep(pollMs, waiting.signal);
    state.wake = null;
    stopping.signal.removeEventListener('abort', onStop);
  }

  async function deliver(state: SinkState): Promise<void> {
    const { sink, batchSize } = state.entry;
    while (!stopping.signal.aborted) {
      // Everything that can fail (reading the trail, the delivery, storing the cursor) is a
      // failed attempt with backoff: the loop never dies while the daemon runs.
      try {
        const rows = store.readAfter(state.cursor, batchSize);
        if (rows.length === 0) {
          for (const notify of progress) notify();
          await waitForWork(state);
          continue;
        }
        const events = rows.map(toSiemEvent);
        const last = events[events.length - 1]!.seq;
        await sink.send(events, AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)]));
        state.cursor = last;
        state.deliveredAt = clock.now();
        state.failures = 0;
        state.retryAt = null;
        cursors.advance(sink.id, last, state.deliveredAt);
        for (const notify of progress) notify();
      } catch (error) {
        if (stopping.signal.aborted) return;
        const failure = error instanceof Error ? error : new Error(String(error));
        state.failures += 1;
        state.lastError = failure.message;
        state.lastErrorAt = clock.now();
        try {
          cursors.recordError(sink.id, failure.message, state.lastErrorAt);
        } catch {
          // the status in memory still says it; the next attempt tries to store it again
        }
        options.onError?.(sink.id, failure);
        const wait = backoffMs(state.failures, maxBackoffMs, random);
        state.retryAt = state.lastErrorAt + wait;
        await clock.sleep(wait, stopping.signal);
      }
    }
  }

  return {
    start() {
      for (const state of states) {
        state.loop ??= deliver(state).catch((error: unknown) => {
          options.onError?.(state.entry.sink.id, error instanceof Error ? error : new Error(String(error)));
        });
      }
    },
    kick() {
      for (const state of states) state.wake?.();
    },
    status() {
      const head = headSeq();
      return states.map((state) => ({
        id: state.entry.sink.id,
        type: state.entry.sink.type,
        cursor: state.cursor,
        lag: Math.max(0, head - state.cursor),
        last_delivered_at: state.deliveredAt,
        last_error: state.lastError,
        last_error_at: state.lastErrorAt,
        failures: state.failures,
        retry_at: state.retryAt,
      }));
    },
    caughtUp() {
      const target = headSeq();
      const done = () => states.every((state) => state.cursor >= target);
      if (done()) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const check = () => {
          if (!done()) return;
          progress.delete(check);
          resolve();
        };
        progress.add(check);
      });
    },
    async stop() {
      stopping.abort();
      await Promise.all(states.map((state) => state.loop));
      await Promise.all(states.map((state) => state.entry.sink.close()));
    },
  };
}
