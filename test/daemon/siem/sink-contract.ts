// The one suite every HTTP-based SIEM sink runs (hono's common.case.test idea): whatever the
// wire format, a sink delivers a batch in order, fails the batch on a refusal or an unreachable
// receiver, and, behind the outbox, survives a receiver outage of many minutes (fake clock)
// with every event arriving at least once.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditStore } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter, type AuditWriter } from '../../../daemon/audit/audit-writer.js';
import { createCursorStore } from '../../../daemon/siem/cursor-store.js';
import { createOutbox } from '../../../daemon/siem/outbox.js';
import { toSiemEvent } from '../../../daemon/siem/siem-event.js';
import type { SiemEvent, SiemSink, SinkDeps } from '../../../daemon/siem/sink.js';
import { openTrailDb, sampleRecord, type TrailDb } from '../audit/trail-db.js';
import { FakeClock } from './fake-clock.js';
import { HttpReceiver, type Answer, type ReceivedRequest } from './http-receiver.js';
import { testSinkDeps } from './sink-deps.js';

export interface SinkContractSetup {
  /** Builds the sink pointed at the receiver. */
  create(receiverUrl: string, deps: SinkDeps): SiemSink;
  /** The event ids a delivery request carries, in body order. */
  idsIn(request: ReceivedRequest): string[];
  /** The receiver's "accepted" answer to a delivery request. */
  accept(request: ReceivedRequest): Answer;
  /** True for the delivery requests (as opposed to e.g. HEC ack polls). */
  isDelivery?(request: ReceivedRequest): boolean;
}

export interface SinkContext {
  trail: TrailDb;
  writer: AuditWriter;
  receiver: HttpReceiver;
  /** Writes n request rows plus a redaction row and an admin event; returns their events. */
  events(n: number): Promise<SiemEvent[]>;
}

export function useSinkContext(): SinkContext {
  const context = {} as SinkContext;
  beforeEach(async () => {
    context.trail = openTrailDb();
    context.writer = createAuditWriter(context.trail.db);
    context.receiver = await HttpReceiver.start();
    context.events = async (n) => {
      for (let i = 0; i < n; i++) {
        await context.writer.append(sampleRecord({ trace_id: `4bf92f3577b34da6a3ce929d0e0e${String(4736 + i).padStart(4, '0')}`, ts: 1_760_000_000_000 + i }));
      }
      await context.writer.appendRedactions('4bf92f3577b34da6a3ce929d0e0e4736', [{ entityType: 'EMAIL', detector: 'email', score: 0.98, action: 'mask', start: 4, end: 20, preview: 'j***@e***.com' }], 1_760_000_000_500);
      await context.writer.appendAdminEvent({ type: 'key.created', actor: 'cli', tenant: 'acme', details: { key_id: 'k1' }, ts: 1_760_000_000_600 });
      return createAuditStore(context.trail.db).readAfter(0, 10_000).map(toSiemEvent);
    };
  });
  afterEach(async () => {
    await context.receiver.close();
    context.trail.remove();
  });
  return context;
}

export function describeSinkContract(name: string, setup: SinkContractSetup): void {
  describe(`${name}: sink contract`, () => {
    const context = useSinkContext();
    const isDelivery = setup.isDelivery ?? (() => true);

    it('delivers a batch in seq order in one request', async () => {
      const events = await context.events(3);
      context.receiver.handler = setup.accept;
      const sink = setup.create(context.receiver.url, testSinkDeps({ TOKEN: 'secret-token' }));
      await sink.send(events, AbortSignal.timeout(5000));
      const deliveries = context.receiver.requests.filter(isDelivery);
      expect(deliveries).toHaveLength(1);
      expect(setup.idsIn(deliveries[0]!)).toEqual(events.map((event) => event.id));
      await sink.close();
    });

    it('fails the batch when the receiver refuses it', async () => {
      const events = await context.events(1);
      context.receiver.handler = () => ({ status: 503, body: '{"error":"busy"}' });
      const sink = setup.create(context.receiver.url, testSinkDeps({ TOKEN: 'secret-token' }));
      await expect(sink.send(events, AbortSignal.timeout(5000))).rejects.toThrow(/503/);
      await sink.close();
    });

    it('fails the batch when nothing listens', async () => {
      const events = await context.events(1);
      const url = context.receiver.url;
      await context.receiver.close();
      const sink = setup.create(url, testSinkDeps({ TOKEN: 'secret-token' }));
      await expect(sink.send(events, AbortSignal.timeout(5000))).rejects.toThrow(/ECONNREFUSED|failed/);
      await sink.close();
      context.receiver = await HttpReceiver.start();
    });

    it('behind the outbox, delivers everything after a 20-minute outage', async () => {
      const events = await context.events(30);
      const clock = new FakeClock();
      let down = true;
      context.receiver.handler = (request) => (down ? { status: 503, body: 'down' } : setup.accept(request));
      const sink = setup.create(context.receiver.url, testSinkDeps({ TOKEN: 'secret-token' }, clock));
      const outbox = createOutbox({
        store: createAuditStore(context.trail.db),
        cursors: createCursorStore(context.trail.db),
        sinks: [{ sink, batchSize: 8 }],
        headSeq: () => context.writer.head().seq,
        maxBackoffMs: 120_000,
        timeoutMs: 5000,
        clock,
        random: () => 0.5,
      });
      outbox.start();
      const began = clock.time;
      await clock.runUntil(() => clock.time - began >= 20 * 60_000);
      expect(outbox.status()[0]).toMatchObject({ cursor: 0, lag: events.length });
      expect(outbox.status()[0]!.last_error).toMatch(/503/);
      down = false;
      expect(await clock.runUntil(() => outbox.status()[0]!.cursor === events.length)).toBe(true);
      await outbox.stop();
      const accepted = context.receiver.requests.filter((request) => isDelivery(request) && request.status === 200);
      const ids = accepted.flatMap((request) => setup.idsIn(request));
      expect([...new Set(ids)]).toEqual(events.map((event) => event.id));
    });
  });
}
