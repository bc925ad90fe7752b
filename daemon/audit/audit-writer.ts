// The audit trail's only writer. Rows are queued and written by group commit: everything
// queued (one event-loop turn's rows, or a commit window's: see after_response below) is hashed
// onto the chain and committed in ONE transaction (chain-writer.ts; up to MAX_BATCH rows each),
// WAL with synchronous=NORMAL: a SIGKILL of the daemon loses nothing committed (a power cut may
// lose the last few commits).
//
// When a request may finish its answer is the `audit.commit` setting:
// - `after_response` (the daemon's default): append() resolves at once, the answer is sent, and
//   the row is committed by a group commit at most COMMIT_WINDOW_MS later (flush() waits for
//   it): since nobody waits for these rows, the rows of a few ms share one transaction, which at
//   1,000 requests/s cuts the daemon's CPU per request by ~10% (one commit per request before).
//   A normal stop (SIGTERM, SIGINT, close()) drains the queue first, so it loses nothing; a
//   SIGKILL or crash can lose the rows of the last few milliseconds, whose answers were already sent.
// - `before_response`: append() resolves after the COMMIT, and recordAudit awaits it before the
//   answer ends, so even a SIGKILL never loses the row of a request that got an answer.
//
// Where the commit runs is `audit.writer`:
// - `event_loop` (default): in the daemon's thread, on the next setImmediate.
// - `worker_thread`: the turn's rows go as ONE message to a worker thread with its own SQLite
//   connection (audit-writer-worker.ts), so the event loop pays a postMessage per turn instead
//   of the SQL and SHA-256 work. Not the default: the worker then holds SQLite's one write lock
//   while the daemon's thread also writes (budgets, response cache, SIEM cursors), and a write
//   that finds the lock taken sleeps in SQLite's busy handler for 1 ms or more, on the event loop.
//   The chain head then lives in the worker; the daemon's thread learns it from each reply
//   (head(), onCommit). If the worker cannot start or dies, the writer says so and commits in
//   the daemon's thread from then on (the same chain-writer code).
//
// It is the only process that appends (the daemon holds the data dir's lock); the CLI opens the
// file for reading.
import type { Database } from 'better-sqlite3';
import type { AdminEvent, AuditCommit, AuditRecord, AuditWriterPlace, RedactionLogEntry } from '../../shared/schemas/audit.js';
import { createAuditStore, storedValues, type AuditStore } from './audit-store.js';
import { startWriterThread, type FromWriterWorker, type WriterThread } from './audit-writer-thread.js';
import { MAX_BATCH, createChainWriter, type ChainWriter, type QueuedRow } from './chain-writer.js';
import type { ChainHead } from './hash-chain.js';

/**
 * A redaction finding as the redaction stage reports it. Only these fields are stored: the
 * matched text itself never is (a masked preview is, when the detector produced one).
 */
export interface RedactionFindingInput {
  readonly entityType?: string;
  readonly entity_type?: string;
  readonly type?: string;
  readonly detector?: string;
  readonly score?: number;
  readonly action?: string;
  readonly location?: string | null;
  readonly path?: string | null;
  readonly start?: number | null;
  readonly end?: number | null;
  /** Masked preview ("j***@e******.com"); never the raw value. */
  readonly preview?: string | null;
  readonly masked?: string | null;
}

export interface AuditWriter {
  /**
   * Queues a request's row. Resolves when the answer may finish: once the row is committed
   * (`before_response`) or at once (`after_response`; a failed commit is logged).
   */
  append(record: AuditRecord): Promise<void>;
  /** One redaction-log row per finding; resolves like append(). */
  appendRedactions(traceId: string, findings: readonly RedactionFindingInput[], ts?: number): Promise<void>;
  /** Resolves with the event row's seq once committed (whatever `commit` says). */
  appendAdminEvent(event: Omit<AdminEvent, 'ts' | 'tenant'> & { ts?: number; tenant?: string | null }): Promise<number>;
  /** Resolves when everything appended so far is committed (or its failure logged). */
  flush(): Promise<void>;
  /** Flushes, refuses further appends, and stops the worker thread if there is one. */
  close(): Promise<void>;
  /** The last committed row. */
  head(): ChainHead;
  /** Called after every COMMIT with the new head and how many rows it added. */
  onCommit(listener: (head: ChainHead, rows: number) => void): () => void;
}

interface Deferred {
  resolve(lastSeq: number): void;
  reject(error: unknown): void;
  /** Rows of this call still uncommitted (a call may span transactions). */
  remaining: number;
}

interface Pending extends QueuedRow {
  readonly done: Deferred;
}

export interface AuditWriterOptions {
  readonly store?: AuditStore;
  readonly now?: () => number;
  /** Where a failed batch is reported (default: stderr). Never given row contents. */
  readonly log?: (line: string) => void;
  /** When append() resolves (see the top of this file). Default `before_response`; the daemon passes `audit.commit`. */
  readonly commit?: AuditCommit;
  /** Where the commit runs (see the top of this file). Default `event_loop`; the daemon passes `audit.writer`. */
  readonly writer?: AuditWriterPlace;
  /** How long rows nobody waits for (`after_response`) may gather before their commit, ms. */
  readonly commitWindowMs?: number;
}

/** Default of AuditWriterOptions.commitWindowMs. */
export const COMMIT_WINDOW_MS = 5;

/** For rows whose caller was answered at once (`after_response`): a failure is only logged. */
const ignore = (): void => {};
/** The caller of a row queued by append() with `after_response` (see there). */
const ANSWERED: Deferred = { resolve: ignore, reject: ignore, remaining: Number.POSITIVE_INFINITY };
const RESOLVED = Promise.resolve();

export function createAuditWriter(db: Database, options: AuditWriterOptions = {}): AuditWriter {
  const store = options.store ?? createAuditStore(db);
  const now = options.now ?? Date.now;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const waitForCommit = (options.commit ?? 'before_response') === 'before_response';
  let head = store.head();
  let queue: Pending[] = [];
  const commitWindowMs = options.commitWindowMs ?? COMMIT_WINDOW_MS;
  /** The commit of what is queued: on the next turn when someone waits for it, else at the end of the window. */
  let scheduled: NodeJS.Immediate | null = null;
  let windowEnd: NodeJS.Timeout | null = null;
  let closed = false;
  let nextId = 1;
  /** Batches posted and not answered yet, by id (answers come in order). */
  const inFlight = new Map<number, Pending[]>();
  let flushWaiters: { id: number; resolve: () => void }[] = [];
  const listeners = new Set<(head: ChainHead, rows: number) => void>();

  let inCaller: ChainWriter | null = null;
  let thread: WriterThread | null = null;
  if (options.writer === 'worker_thread') thread = startWriterThread({ file: db.name }, settle, writeInCaller);
  else inCaller = createChainWriter(store);

  /** The thread is gone: what it had not answered failed (maybe committed: re-read the head). */
  function writeInCaller(error: Error): void {
    if (thread === null) return;
    thread = null;
    log(`kagami: audit writer thread stopped (${error.message}); writing in the daemon's thread from now on`);
    if (db.open) {
      inCaller = createChainWriter(store);
      head = store.head();
    }
    for (const [id, batch] of inFlight) settle({ id, results: [{ rows: batch.length, error: error.message, afterSeq: head.seq }] });
  }

  function queueRows(rows: readonly QueuedRow[], done: Deferred, waited: boolean): void {
    for (const { kind, values } of rows) queue.push({ kind, values, done });
    scheduleWrite(waited);
  }

  /** `waited`: someone awaits the commit (commit on the next turn); else within the window. */
  function scheduleWrite(waited: boolean): void {
    if (scheduled !== null) return;
    if (waited || queue.length >= MAX_BATCH) scheduled = setImmediate(writeQueued);
    else windowEnd ??= setTimeout(writeQueued, commitWindowMs);
  }

  /** Resolves with the seq of the last of `rows` once committed. */
  function enqueue(rows: QueuedRow[]): Promise<number> {
    if (closed) return Promise.reject(new Error('audit writer is closed'));
    if (rows.length === 0) return Promise.resolve(head.seq);
    return new Promise<number>((resolve, reject) => queueRows(rows, { resolve, reject, remaining: rows.length }, true));
  }

  /** For append()/appendRedactions(): waits for the commit only with `before_response`. */
  function enqueueForAnswer(rows: QueuedRow[]): Promise<void> {
    if (waitForCommit || closed) return enqueue(rows).then(() => {});
    queueRows(rows, { resolve: ignore, reject: ignore, remaining: rows.length }, false);
    return Promise.resolve();
  }

  function writeQueued(): void {
    if (scheduled !== null) clearImmediate(scheduled);
    if (windowEnd !== null) clearTimeout(windowEnd);
    scheduled = null;
    windowEnd = null;
    const batch = queue;
    queue = [];
    if (batch.length === 0) return;
    const id = nextId++;
    inFlight.set(id, batch);
    if (thread !== null) thread.post({ type: 'write', id, rows: batch.map(({ kind, values }) => ({ kind, values })) }, inFlight.size);
    else if (inCaller !== null) settle({ id, results: inCaller.write(batch) });
    else settle({ id, results: [{ rows: batch.length, error: 'the database is closed', afterSeq: head.seq }] });
  }

  function settle({ id, results }: FromWriterWorker): void {
    const batch = inFlight.get(id);
    if (batch === undefined) return;
    inFlight.delete(id);
    thread?.idle(inFlight.size);
    let offset = 0;
    for (const result of results) {
      const slice = batch.slice(offset, offset + result.rows);
      offset += result.rows;
      if ('error' in result) {
        // Nothing of this transaction is in the file. Row contents never reach the log.
        log(`kagami: audit write of ${result.rows} row(s) after seq ${result.afterSeq} failed: ${result.error}; re-reading the chain head before the next write`);
        const error = new Error(result.error);
        for (const item of slice) item.done.reject(error);
        continue;
      }
      head = result.head;
      const firstSeq = head.seq - result.rows + 1;
      slice.forEach((item, index) => {
        item.done.remaining -= 1;
        if (item.done.remaining === 0) item.done.resolve(firstSeq + index);
      });
      for (const listener of listeners) listener(head, result.rows);
    }
    const waiters = flushWaiters;
    flushWaiters = [];
    for (const waiter of waiters) {
      if (waiter.id <= id) waiter.resolve();
      else flushWaiters.push(waiter);
    }
  }

  function flush(): Promise<void> {
    if (scheduled !== null || windowEnd !== null) writeQueued();
    if (inFlight.size === 0) return Promise.resolve();
    const last = nextId - 1;
    return new Promise<void>((resolve) => flushWaiters.push({ id: last, resolve }));
  }

  return {
    append(record) {
      const values = storedValues('request', record);
      if (waitForCommit || closed) return enqueueForAnswer([{ kind: 'request', values }]);
      // after_response, the common case, queued directly (allocation on the request path): the
      // shared ANSWERED stands for the caller, already answered (its count stays infinite).
      queue.push({ kind: 'request', values, done: ANSWERED });
      scheduleWrite(false);
      return RESOLVED;
    },
    appendRedactions(traceId, findings, ts = now()) {
      if (findings.length === 0) return Promise.resolve();
      return enqueueForAnswer(findings.map((finding) => ({ kind: 'redaction', values: storedValues('redaction', toLogEntry(traceId, ts, finding)) })));
    },
    appendAdminEvent(event) {
      const full: AdminEvent = { ts: event.ts ?? now(), type: event.type, actor: event.actor, tenant: event.tenant ?? null, details: event.details };
      return enqueue([{ kind: 'admin', values: storedValues('admin', full) }]);
    },
    flush,
    async close() {
      if (closed) return;
      closed = true;
      await flush();
      await thread?.close();
      thread = null;
    },
    head: () => head,
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

function toLogEntry(traceId: string, ts: number, finding: RedactionFindingInput): RedactionLogEntry {
  const int = (value: number | null | undefined) => (typeof value === 'number' && Number.isInteger(value) ? value : null);
  return {
    trace_id: traceId,
    ts,
    entity_type: finding.entityType ?? finding.entity_type ?? finding.type ?? 'UNKNOWN',
    detector: finding.detector ?? 'unknown',
    score: typeof finding.score === 'number' ? finding.score : 1,
    action: finding.action ?? 'unknown',
    location: finding.location ?? finding.path ?? null,
    start: int(finding.start),
    end: int(finding.end),
    preview: finding.preview ?? finding.masked ?? null,
  };
}
