// SQL for the outbox's per-sink cursors (table siem_cursors): the last seq each sink
// acknowledged, when, and its last error. A cursor only moves forward, after the sink
// confirmed the batch, so a restart resumes exactly where delivery stopped.
import type { Database } from 'better-sqlite3';

export interface SinkCursor {
  readonly seq: number;
  readonly deliveredAt: number | null;
  readonly lastError: string | null;
  readonly lastErrorAt: number | null;
}

export interface CursorStore {
  get(sink: string): SinkCursor;
  advance(sink: string, seq: number, at: number): void;
  recordError(sink: string, message: string, at: number): void;
  /** The lowest cursor among these sinks (what every one of them has); null when none. */
  lowest(sinks: readonly string[]): number | null;
}

interface CursorRow {
  seq: number;
  delivered_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
}

export function createCursorStore(db: Database): CursorStore {
  const select = db.prepare<[string], CursorRow>('SELECT seq, delivered_at, last_error, last_error_at FROM siem_cursors WHERE sink = ?');
  const advance = db.prepare<[string, number, number]>(
    `INSERT INTO siem_cursors (sink, seq, delivered_at) VALUES (?, ?, ?)
     ON CONFLICT (sink) DO UPDATE SET seq = MAX(seq, excluded.seq), delivered_at = excluded.delivered_at`,
  );
  const error = db.prepare<[string, string, number]>(
    `INSERT INTO siem_cursors (sink, seq, last_error, last_error_at) VALUES (?, 0, ?, ?)
     ON CONFLICT (sink) DO UPDATE SET last_error = excluded.last_error, last_error_at = excluded.last_error_at`,
  );
  return {
    get(sink) {
      const row = select.get(sink);
      return row === undefined
        ? { seq: 0, deliveredAt: null, lastError: null, lastErrorAt: null }
        : { seq: row.seq, deliveredAt: row.delivered_at, lastError: row.last_error, lastErrorAt: row.last_error_at };
    },
    advance: (sink, seq, at) => void advance.run(sink, seq, at),
    recordError: (sink, message, at) => void error.run(sink, message.slice(0, 1000), at),
    lowest(sinks) {
      if (sinks.length === 0) return null;
      return Math.min(...sinks.map((sink) => select.get(sink)?.seq ?? 0));
    },
  };
}
