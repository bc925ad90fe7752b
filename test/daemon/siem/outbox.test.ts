import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditStore } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter, type AuditWriter } from '../../../daemon/audit/audit-writer.js';
import { createCursorStore } from '../../../daemon/siem/cursor-store.js';
import { backoffMs, createOutbox, type Outbox } from '../../../daemon/siem/outbox.js';
import type { SiemEvent, SiemSink } from '../../../daemon/siem/sink.js';
import { openTrailDb, sampleRecord, type TrailDb } from '../audit/trail-db.js';
import { FakeClock } from './fake-clock.js';

/** A sink that records what it got and can be switched off. */
class MemorySink implements SiemSink {
  readonly type = 'webhook' as const;
  readonly received: SiemEvent[] = [];
  readonly batches: number[] = [];
  down = false;
  attempts = 0;
  constructor(readonly id: string) {}
  async send(events: readonly SiemEvent[]): Promise<void> {
    this.attempts += 1;
    if (this.down) throw new Error(`${this.id} is down`);
    this.received.push(...events);
    this.batches.push(events.length);
  }
  async close(): Promise<void> {}
}

describe('createOutbox', () => {
  let trail: TrailDb;
  let writer: AuditWriter;
  let clock: FakeClock;
  let outbox: Outbox | null = null;

  beforeEach(() => {
    trail = openTrailDb();
    writer = createAuditWriter(trail.db);
    clock = new FakeClock();
  });
  afterEach(async () => {
    await outbox?.stop();
    outbox = null;
    trail.remove();
  });

  const start = (sinks: MemorySink[], batchSize = 10) => {
    const box = createOutbox({
      store: createAuditStore(trail.db),
      cursors: createCursorStore(trail.db),
      sinks: sinks.map((sink) => ({ sink, batchSize })),
      headSeq: () => writer.head().seq,
      maxBackoffMs: 300_000,
      timeoutMs: 30_000,
      clock,
      random: () => 0.5,
    });
    writer.onCommit(() => box.kick());
    box.start();
    outbox = box;
    return box;
  };

  const write = async (n: number) => {
    for (let i = 0; i < n; i++) await writer.append(sampleRecord({ trace_id: `t${writer.head().seq + 1}` }));
  };

  it('delivers every row once, in seq order, in batches of at most batch_size', async () => {
    await write(25);
    await writer.appendRedactions('t25', [{ entityType: 'EMAIL', detector: 'd', score: 1, action: 'mask' }]);
    const sink = new MemorySink('a');
    const box = start([sink]);
    expect(await clock.runUntil(() => sink.received.length === 26)).toBe(true);
    expect(sink.received.map((e) => e.seq)).toEqual(Array.from({ length: 26 }, (_, i) => i + 1));
    expect(sink.batches.every((size) => size <= 10)).toBe(true);
    expect(sink.received[25]).toMatchObject({ kind: 'redaction', record: { entity_type: 'EMAIL' } });
    expect(new Set(sink.received.map((e) => e.id)).size).toBe(26);
    expect(box.status()[0]).toMatchObject({ id: 'a', cursor: 26, lag: 0, failures: 0 });
  });

  it('picks up rows committed later without waiting for the poll', async () => {
    const sink = new MemorySink('a');
    start([sink]);
    await clock.runUntil(() => clock.sleepers.size > 0);
    await write(3);
    expect(await clock.runUntil(() => sink.received.length === 3, 50)).toBe(true);
  });

  it('keeps retrying through a six-hour outage with capped exponential backoff and loses nothing', async () => {
    const sink = new MemorySink('a');
    sink.down = true;
    const box = start([sink]);
    await write(5);
    const began = clock.time;
    await clock.runUntil(() => clock.time - began >= 6 * 3_600_000);
    expect(sink.received).toEqual([]);
    const status = box.status()[0]!;
    expect(status).toMatchObject({ cursor: 0, lag: 5, last_error: 'a is down' });
    expect(status.failures).toBeGreaterThanOrEqual(sink.attempts - 1); // one attempt may be in flight
    // 1 s, 2 s, 4 s … capped at 300 s (jitter 0.5 → 225 s between tries): about 100 attempts, not thousands.
    expect(sink.attempts).toBeGreaterThan(90);
    expect(sink.attempts).toBeLessThan(120);
    await write(5);
    sink.down = false;
    expect(await clock.runUntil(() => sink.received.length === 10)).toBe(true);
    expect(sink.received.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(box.status()[0]).toMatchObject({ cursor: 10, lag: 0, failures: 0, retry_at: null });
  });

  it('resumes from the persisted cursor after a restart', async () => {
    await write(4);
    const first = new MemorySink('a');
    await start([first]).caughtUp();
    await outbox!.stop();
    await write(3);
    const second = new MemorySink('a');
    start([second]);
    expect(await clock.runUntil(() => second.received.length === 3)).toBe(true);
    expect(second.received.map((e) => e.seq)).toEqual([5, 6, 7]);
  });

  it('does not let a down sink hold up another', async () => {
    const down = new MemorySink('down');
    down.down = true;
    const up = new MemorySink('up');
    start([down, up]);
    await write(8);
    expect(await clock.runUntil(() => up.received.length === 8)).toBe(true);
    expect(down.received).toEqual([]);
  });

  it('survives the trail failing to read (SQLITE_BUSY, say) as a retried attempt', async () => {
    await write(6);
    const store = createAuditStore(trail.db);
    let failReads = 2;
    const flaky = {
      readAfter(after: number, limit: number) {
        if (failReads > 0) {
          failReads -= 1;
          throw new Error('database is locked');
        }
        return store.readAfter(after, limit);
      },
    };
    const sink = new MemorySink('a');
    const box = createOutbox({
      store: flaky, cursors: createCursorStore(trail.db), sinks: [{ sink, batchSize: 10 }],
      headSeq: () => writer.head().seq, maxBackoffMs: 60_000, timeoutMs: 30_000, clock, random: () => 0.5,
    });
    outbox = box;
    box.start();
    expect(await clock.runUntil(() => sink.received.length === 6)).toBe(true);
    expect(box.status()[0]).toMatchObject({ cursor: 6, failures: 0, last_error: 'database is locked' });
  });

  it('computes backoff that doubles from 1 s and stays under the cap', () => {
    const half = () => 0.5;
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 300_000, half))).toEqual([750, 1500, 3000, 6000]);
    expect(backoffMs(40, 300_000, () => 1)).toBe(300_000);
    expect(backoffMs(40, 300_000, () => 0)).toBe(150_000);
  });
});
