// The syslog sink against a REAL rsyslogd (plain TCP and TLS), including an rsyslog restart
// in the middle of delivery with nothing lost.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyslogSinkConfig } from '../../../shared/schemas/siem.js';
import { createAuditStore } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter, type AuditWriter } from '../../../daemon/audit/audit-writer.js';
import { createCursorStore } from '../../../daemon/siem/cursor-store.js';
import { createOutbox, type Outbox } from '../../../daemon/siem/outbox.js';
import { createSink } from '../../../daemon/siem/sinks.js';
import type { SiemEvent, SiemSink } from '../../../daemon/siem/sink.js';
import { makeTestCertificates, type TestCertificates } from '../../support/tls-certs.js';
import { openTrailDb, sampleRecord, type TrailDb } from '../audit/trail-db.js';
import { FakeClock } from './fake-clock.js';
import { RsyslogServer, rsyslogMissing } from './rsyslog-server.js';
import { testSinkDeps } from './sink-deps.js';

const missing = rsyslogMissing();

/** The event id rsyslog parsed out of our structured data. */
const idOf = (structuredData: string) => /id="([0-9a-f]{64})"/.exec(structuredData)?.[1];

describe.skipIf(missing !== null)(`syslog sink into a real rsyslogd${missing ? ` (skipped: ${missing})` : ''}`, () => {
  let dir: string;
  let trail: TrailDb;
  let writer: AuditWriter;
  let rsyslog: RsyslogServer | null = null;
  let certs: TestCertificates | null = null;
  let outbox: Outbox | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-rsyslog-'));
    trail = openTrailDb();
    writer = createAuditWriter(trail.db);
  });
  afterEach(async () => {
    await outbox?.stop();
    outbox = null;
    await rsyslog?.stop();
    rsyslog = null;
    certs?.remove();
    certs = null;
    trail.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  const events = async (n: number): Promise<SiemEvent[]> => {
    for (let i = 0; i < n; i++) {
      await writer.append(sampleRecord({ trace_id: `0af7651916cd43dd8448eb211c80${String(1000 + i)}`, user: i % 2 ? 'bob' : 'alice' }));
    }
    const { toSiemEvent } = await import('../../../daemon/siem/siem-event.js');
    return createAuditStore(trail.db).readAfter(0, n).map(toSiemEvent);
  };

  const sinkConfig = (overrides: Partial<SyslogSinkConfig> = {}): SyslogSinkConfig => ({
    type: 'syslog',
    id: 'rsyslog',
    host: '127.0.0.1',
    port: rsyslog!.port,
    transport: 'tcp',
    ...overrides,
  });

  it('delivers RFC 5424 messages with octet-counting framing that rsyslog parses field by field', async () => {
    rsyslog = await RsyslogServer.create(dir);
    await rsyslog.start();
    const batch = await events(5);
    const sink = createSink(sinkConfig(), testSinkDeps());
    await sink.send(batch, AbortSignal.timeout(10_000));
    const received = await rsyslog.waitForMessages(5);
    expect(received.map((m) => idOf(m.structuredData))).toEqual(batch.map((e) => e.id));
    for (const [index, message] of received.entries()) {
      expect(message).toMatchObject({ msgid: 'request', appName: 'kagami', hostname: 'kagami-test-host', pri: 13 * 8 + 6 });
      expect(message.structuredData).toContain(`seq="${index + 1}"`);
      expect(JSON.parse(message.msg)).toMatchObject({ event_id: batch[index]!.id, kind: 'request', event_type: 'llm.request', seq: index + 1, tenant: 'acme' });
    }
    await sink.close();
  });

  it('sends a CEF body when configured', async () => {
    rsyslog = await RsyslogServer.create(dir);
    await rsyslog.start();
    const batch = await events(1);
    const sink = createSink(sinkConfig({ format: 'cef' }), testSinkDeps());
    await sink.send(batch, AbortSignal.timeout(10_000));
    const [message] = await rsyslog.waitForMessages(1);
    expect(message!.msg).toMatch(/^CEF:0\|Kagami\|Kagami Gateway\|0\.1\.0\|llm\.request\|LLM request 200 gpt-4o-mini\|3\|/);
    expect(message!.msg).toContain(`externalId=${batch[0]!.id}`);
    expect(message!.msg).toContain('cs1Label=tenant cs1=acme');
  });

  it('delivers over TLS (RFC 5425) and refuses a server it does not trust', async () => {
    certs = makeTestCertificates();
    rsyslog = await RsyslogServer.create(dir, { caFile: certs.paths.caCert, certFile: certs.paths.serverCert, keyFile: certs.paths.serverKey });
    await rsyslog.start();
    const batch = await events(3);
    const trusting = createSink(sinkConfig({ transport: 'tls', tls: { ca_file: certs.paths.caCert } }), testSinkDeps());
    await trusting.send(batch, AbortSignal.timeout(10_000));
    const received = await rsyslog.waitForMessages(3);
    expect(received.map((m) => idOf(m.structuredData))).toEqual(batch.map((e) => e.id));

    const untrusting = createSink(sinkConfig({ transport: 'tls' }), testSinkDeps());
    await expect(untrusting.send(batch, AbortSignal.timeout(10_000))).rejects.toThrow(/certificate/i);
  });

  it('fails the batch when nothing listens, so the outbox retries it', async () => {
    rsyslog = await RsyslogServer.create(dir); // created, not started
    const sink: SiemSink = createSink(sinkConfig(), testSinkDeps());
    await expect(sink.send(await events(1), AbortSignal.timeout(10_000))).rejects.toThrow(/ECONNREFUSED/);
  });

  it.each(['tcp', 'tls'] as const)('loses nothing when rsyslog restarts mid-stream (%s)', async (transport) => {
    if (transport === 'tls') certs = makeTestCertificates();
    rsyslog = await RsyslogServer.create(dir, certs ? { caFile: certs.paths.caCert, certFile: certs.paths.serverCert, keyFile: certs.paths.serverKey } : null);
    await rsyslog.start();
    const server = rsyslog;
    for (let i = 0; i < 200; i++) await writer.append(sampleRecord({ trace_id: `t${i}` }));

    const clock = new FakeClock();
    const real = createSink(sinkConfig({ transport, ...(certs ? { tls: { ca_file: certs.paths.caCert } } : {}) }), testSinkDeps({}, clock));
    // Every step of the outage is sequenced by the sends themselves, never by timing: the 4th
    // send races a stop of rsyslog (the batch may or may not get through, both are legal), the
    // 5th and 6th find nothing listening (so they fail, for sure), the 7th first brings rsyslog
    // back. Errors of stop/start surface as that send's failure, never as an unhandled rejection.
    let sends = 0;
    let failedWhileDown = 0;
    const sink: SiemSink = {
      id: real.id,
      type: real.type,
      close: () => real.close(),
      async send(batch, signal) {
        sends += 1;
        if (sends === 4) {
          const [sent, stopped] = await Promise.allSettled([real.send(batch, signal), server.stop()]);
          if (stopped.status === 'rejected') throw stopped.reason;
          if (sent.status === 'rejected') throw sent.reason;
          return;
        }
        if (sends === 5 || sends === 6) {
          await real.send(batch, signal).catch((error: unknown) => {
            failedWhileDown += 1;
            throw error;
          });
          return;
        }
        if (sends === 7) await server.start();
        await real.send(batch, signal);
      },
    };
    outbox = createOutbox({
      store: createAuditStore(trail.db),
      cursors: createCursorStore(trail.db),
      sinks: [{ sink, batchSize: 20 }],
      headSeq: () => writer.head().seq,
      maxBackoffMs: 60_000,
      timeoutMs: 10_000,
      clock,
      random: () => 0.5,
    });
    outbox.start();
    // A generous step budget: the rsyslog restart takes real time (each step is a few ms).
    const delivered = await clock.runUntil(() => outbox!.status()[0]!.cursor === 200, 100_000);
    expect(delivered).toBe(true);
    expect(failedWhileDown).toBe(2); // it really was down for two attempts…
    expect(outbox.status()[0]).toMatchObject({ failures: 0, lag: 0, last_error: expect.stringMatching(/ECONNREFUSED/) }); // …and recovered

    const expected = createAuditStore(trail.db).readAfter(0, 200).map((entry) => entry.hash);
    const received = await server.waitForMessages(200).catch((error: unknown) => {
      const got = new Set(server.messages().map((m) => idOf(m.structuredData)));
      const missing = expected.flatMap((hash, index) => (got.has(hash) ? [] : [index + 1]));
      throw new Error(`${(error as Error).message}; missing seqs ${missing.join(',')} after ${sends} sends`);
    });
    const ids = received.map((m) => idOf(m.structuredData));
    // At least once: every event arrived; duplicates only from the batch cut off by the stop.
    expect(new Set(ids)).toEqual(new Set(expected));
    expect(ids.length - expected.length).toBeLessThanOrEqual(20);
    // In order: the first arrivals of the ids are in seq order.
    expect([...new Set(ids)]).toEqual(expected);
  }, 60_000);
});
