import { Database } from '../../../daemon/store/sqlite-driver.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditStore, parseEntry } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter } from '../../../daemon/audit/audit-writer.js';
import { GENESIS_HASH } from '../../../daemon/audit/hash-chain.js';
import { verifyTrail } from '../../../daemon/audit/verify.js';
import { openDatabase, runMigrations } from '../../../daemon/store/db.js';
import { auditMigrations } from '../../../daemon/store/migrations/audit.js';
import { openTrailDb, sampleRecord, type TrailDb } from './trail-db.js';

describe.each(['event_loop', 'worker_thread'] as const)('createAuditWriter (writer: %s)', (place) => {
  let trail: TrailDb;
  beforeEach(() => {
    trail = openTrailDb();
  });
  afterEach(() => trail.remove());

  it('commits every row appended in one turn in a single transaction, then resolves', async () => {
    const writer = createAuditWriter(trail.db, { writer: place });
    const commits: number[] = [];
    writer.onCommit((_head, rows) => commits.push(rows));
    const appends = Array.from({ length: 50 }, (_, i) => writer.append(sampleRecord({ trace_id: `t${i}` })));
    // Nothing is written synchronously on the request path.
    expect(createAuditStore(trail.db).count().request).toBe(0);
    await Promise.all(appends);
    expect(commits).toEqual([50]);
    expect(createAuditStore(trail.db).count().request).toBe(50);
  });

  it('round-trips a record exactly and chains it to genesis', async () => {
    const writer = createAuditWriter(trail.db, { writer: place });
    const record = sampleRecord({ stream: true, cache_hit: true, fallbacks: ['azure/gpt-4o'], decision: null, cost_usd: null });
    await writer.append(record);
    const [entry] = createAuditStore(trail.db).readAfter(0, 10);
    const parsed = parseEntry(entry!);
    expect(parsed.kind).toBe('request');
    expect(parsed.row).toMatchObject({ ...record, seq: 1, prev_hash: GENESIS_HASH });
    expect(parsed.row.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('puts requests, redaction findings and admin events on one sequence', async () => {
    const writer = createAuditWriter(trail.db, { writer: place });
    await Promise.all([
      writer.append(sampleRecord({ trace_id: 'tr1' })),
      writer.appendRedactions('tr1', [
        { entityType: 'EMAIL', detector: 'email-regex', score: 0.99, action: 'mask', start: 3, end: 20, preview: 'j***@e***.com' },
        { entity_type: 'PHONE', detector: 'phone', score: 0.8, action: 'block', location: 'messages[0].content' },
      ]),
      writer.appendAdminEvent({ type: 'key.created', actor: 'cli', details: { key_id: 'k1' } }),
    ]);
    const rows = createAuditStore(trail.db).readAfter(0, 10).map(parseEntry);
    expect(rows.map((r) => [r.kind, r.row.seq])).toEqual([['request', 1], ['redaction', 2], ['redaction', 3], ['admin', 4]]);
    expect(rows[2]!.row).toMatchObject({ entity_type: 'PHONE', location: 'messages[0].content', start: null, preview: null });
    expect(verifyTrail(createAuditStore(trail.db), { publicKey: null, externalCheckpoint: null }).ok).toBe(true);
  });

  it('continues the chain from the stored head after a restart', async () => {
    const first = createAuditWriter(trail.db, { writer: place });
    await first.append(sampleRecord());
    await first.close();
    const second = createAuditWriter(trail.db, { writer: place });
    await second.append(sampleRecord());
    expect(second.head().seq).toBe(2);
    const report = verifyTrail(createAuditStore(trail.db), { publicKey: null, externalCheckpoint: null });
    expect(report).toMatchObject({ ok: true, rows: 2, first: 1, last: 2 });
  });

  it('rejects the batch and keeps the head when the commit fails, then recovers', async () => {
    const writer = createAuditWriter(trail.db, { writer: place });
    await writer.append(sampleRecord());
    trail.db.exec(`CREATE TRIGGER fail_once BEFORE INSERT ON audit_requests BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    await expect(writer.append(sampleRecord())).rejects.toThrow('disk full');
    expect(writer.head().seq).toBe(1);
    trail.db.exec('DROP TRIGGER fail_once');
    await writer.append(sampleRecord());
    expect(writer.head().seq).toBe(2);
    expect(verifyTrail(createAuditStore(trail.db), { publicKey: null, externalCheckpoint: null }).ok).toBe(true);
  });

  it('logs a failed batch and re-reads the chain head, so rows written by another connection fail one batch, not every later one', async () => {
    const lines: string[] = [];
    const writer = createAuditWriter(trail.db, { writer: place, log: (line) => lines.push(line) });
    await writer.append(sampleRecord());
    // Another writer on its own connection (what a second daemon on the same data dir did) takes seq 2 and 3.
    const other = openDatabase(trail.dir, { migrations: [auditMigrations] });
    const otherWriter = createAuditWriter(other, { writer: place });
    await otherWriter.append(sampleRecord());
    await otherWriter.append(sampleRecord());
    await otherWriter.close();
    other.close();

    await expect(writer.append(sampleRecord({ tenant: 'tenant-in-the-row' }))).rejects.toThrow(/UNIQUE constraint failed/);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^kagami: audit write of 1 row\(s\) after seq 1 failed: UNIQUE constraint failed: .*re-reading the chain head/);
    expect(lines[0]).not.toContain('tenant-in-the-row');

    await writer.append(sampleRecord());
    await writer.append(sampleRecord());
    expect(writer.head().seq).toBe(5);
    expect(lines).toHaveLength(1);
    expect(verifyTrail(createAuditStore(trail.db), { publicKey: null, externalCheckpoint: null })).toMatchObject({ ok: true, rows: 5 });
  });

  it('flush() waits for queued rows and close() refuses new ones', async () => {
    const writer = createAuditWriter(trail.db, { writer: place });
    void writer.append(sampleRecord());
    await writer.flush();
    expect(createAuditStore(trail.db).count().request).toBe(1);
    void writer.append(sampleRecord());
    await writer.close();
    expect(createAuditStore(trail.db).count().request).toBe(2);
    await expect(writer.append(sampleRecord())).rejects.toThrow('closed');
  });

  it('never stores a raw finding text, only the fields of the log', async () => {
    const writer = createAuditWriter(trail.db, { writer: place });
    const finding = { entityType: 'EMAIL', detector: 'email', score: 1, action: 'mask', text: 'john@example.com' };
    await writer.appendRedactions('t', [finding]);
    const dump = JSON.stringify(trail.db.prepare('SELECT * FROM audit_redactions').all());
    expect(dump).not.toContain('john@example.com');
  });

  it('with commit: after_response, append() resolves before the COMMIT and flush() waits for it', async () => {
    const writer = createAuditWriter(trail.db, { writer: place, commit: 'after_response' });
    await writer.append(sampleRecord());
    await writer.appendRedactions('t', [{ entityType: 'EMAIL', detector: 'email', action: 'mask' }]);
    expect(createAuditStore(trail.db).count()).toMatchObject({ request: 0, redaction: 0 });
    await writer.flush();
    expect(createAuditStore(trail.db).count()).toMatchObject({ request: 1, redaction: 1 });
    // Admin events still resolve with their committed seq.
    expect(await writer.appendAdminEvent({ type: 'key.created', actor: 'cli', details: {} })).toBe(3);
    await writer.close();
  });

  it('with commit: after_response, rows of several turns share one transaction; a row someone waits for commits them on the next turn', async () => {
    const writer = createAuditWriter(trail.db, { writer: place, commit: 'after_response', commitWindowMs: 60_000 });
    const commits: number[] = [];
    writer.onCommit((_head, rows) => commits.push(rows));
    for (let i = 0; i < 3; i++) {
      await writer.append(sampleRecord({ trace_id: `t${i}` }));
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(commits).toEqual([]);
    expect(await writer.appendAdminEvent({ type: 'key.created', actor: 'cli', details: {} })).toBe(4);
    expect(commits).toEqual([4]);
    await writer.close();
  });

  it('with commit: after_response, the window ends on its own', async () => {
    const writer = createAuditWriter(trail.db, { writer: place, commit: 'after_response', commitWindowMs: 1 });
    const committed = new Promise<number>((resolve) => writer.onCommit((_head, rows) => resolve(rows)));
    await writer.append(sampleRecord());
    await writer.append(sampleRecord({ trace_id: 't2' }));
    expect(await committed).toBe(2);
    expect(createAuditStore(trail.db).count().request).toBe(2);
    await writer.close();
  });

  it('with commit: after_response, a failed commit is logged (without row contents) and the caller was already answered', async () => {
    const lines: string[] = [];
    const writer = createAuditWriter(trail.db, { writer: place, commit: 'after_response', log: (line) => lines.push(line) });
    trail.db.exec(`CREATE TRIGGER fail_once BEFORE INSERT ON audit_requests BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    await writer.append(sampleRecord({ tenant: 'tenant-in-the-row' }));
    await writer.flush();
    expect(lines).toEqual([expect.stringMatching(/^kagami: audit write of 1 row\(s\) after seq 0 failed: disk full/)]);
    expect(lines[0]).not.toContain('tenant-in-the-row');
    trail.db.exec('DROP TRIGGER fail_once');
    await writer.append(sampleRecord());
    await writer.flush();
    expect(writer.head().seq).toBe(1);
    await writer.close();
  });
});

describe('createAuditWriter when its worker thread cannot run', () => {
  it('says so and writes in the calling thread; a batch the thread had not answered fails, later ones commit', async () => {
    // An in-memory database: the thread's own connection finds no audit tables there and stops.
    const db = new Database(':memory:');
    runMigrations(db, [auditMigrations]);
    const lines: string[] = [];
    const writer = createAuditWriter(db, { writer: 'worker_thread', log: (line) => lines.push(line) });
    const first = writer.append(sampleRecord({ trace_id: 'lost' })).then(() => 'committed', () => 'failed');
    await writer.flush();
    expect(await first).toBe('failed');
    expect(lines[0]).toMatch(/^kagami: audit writer thread stopped \(.*\); writing in the daemon's thread from now on$/);
    await writer.append(sampleRecord({ trace_id: 'kept' }));
    expect(createAuditStore(db).readAfter(0, 10).map((entry) => entry.values[0])).toEqual(['kept']);
    expect(verifyTrail(createAuditStore(db), { publicKey: null, externalCheckpoint: null }).ok).toBe(true);
    await writer.close();
    db.close();
  });
});
