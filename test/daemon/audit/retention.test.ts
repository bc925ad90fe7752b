import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditStore } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter, type AuditWriter } from '../../../daemon/audit/audit-writer.js';
import { hashRow } from '../../../daemon/audit/hash-chain.js';
import { runRetention } from '../../../daemon/audit/retention.js';
import { verifyTrail } from '../../../daemon/audit/verify.js';
import { createCursorStore } from '../../../daemon/siem/cursor-store.js';
import { openTrailDb, sampleRecord, type TrailDb } from './trail-db.js';

const DAY = 86_400_000;
const NOW = 1_770_000_000_000;

describe('runRetention', () => {
  let trail: TrailDb;
  let writer: AuditWriter;
  const noKey = { publicKey: null, externalCheckpoint: null };

  beforeEach(async () => {
    trail = openTrailDb();
    writer = createAuditWriter(trail.db);
    // seq 1..6 are 40 days old, 7..10 are 2 days old.
    for (let i = 1; i <= 10; i++) await writer.append(sampleRecord({ trace_id: `t${i}`, ts: NOW - (i <= 6 ? 40 : 2) * DAY + i }));
  });
  afterEach(() => trail.remove());

  const retention = (acknowledged: number | null, archive = true) =>
    runRetention({
      store: createAuditStore(trail.db),
      writer,
      acknowledgedSeq: () => acknowledged,
      keepDays: 30,
      archiveDir: archive ? join(trail.dir, 'archive') : null,
      now: () => NOW,
    });

  it('keeps old rows that a SIEM sink has not acknowledged yet', async () => {
    const cursors = createCursorStore(trail.db);
    cursors.advance('splunk', 6, NOW);
    cursors.advance('syslog', 3, NOW);
    const result = await retention(cursors.lowest(['splunk', 'syslog']));
    expect(result).toMatchObject({ deleted: 3, upTo: 3, heldBy: 'siem-not-acknowledged' });
    expect(createAuditStore(trail.db).readAfter(0, 100)[0]!.seq).toBe(4);
    expect(await retention(0)).toMatchObject({ deleted: 0, heldBy: 'siem-not-acknowledged' });
  });

  it('deletes only rows older than keep_days, archives them as gzip NDJSON, and the chain still verifies', async () => {
    const result = await retention(10);
    expect(result).toMatchObject({ deleted: 6, upTo: 6 });
    const store = createAuditStore(trail.db);
    expect(store.anchor()).toMatchObject({ seq: 6 });
    const archived = gunzipSync(readFileSync(result.archive!)).toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(readdirSync(join(trail.dir, 'archive'))).toEqual(['audit-1-6.ndjson.gz']);
    expect(archived.map((row) => row.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(archived[5]).toMatchObject({ kind: 'request', trace_id: 't6', hash: store.anchor()!.hash });
    // The remaining rows, the prune event and rows written afterwards all verify from the anchor.
    await writer.append(sampleRecord({ ts: NOW }));
    const report = verifyTrail(store, noKey);
    expect(report).toMatchObject({ ok: true, first: 7, last: 12, anchor: { seq: 6 } });
    const pruned = trail.db.prepare("SELECT details FROM audit_admin_events WHERE type = 'audit.pruned'").get() as { details: string };
    expect(JSON.parse(pruned.details)).toMatchObject({ up_to_seq: 6, deleted: 6 });
  });

  it('deletes in slices of its own transactions and ends with the same anchor', async () => {
    const store = createAuditStore(trail.db);
    const result = await runRetention({ store, writer, acknowledgedSeq: () => 10, keepDays: 30, archiveDir: null, now: () => NOW, sliceRows: 4 });
    expect(result).toMatchObject({ deleted: 6, upTo: 6, archive: null });
    expect(store.anchor()).toMatchObject({ seq: 6 });
    expect(verifyTrail(store, noKey)).toMatchObject({ ok: true, first: 7 });
  });

  it('still catches tampering right after the anchor', async () => {
    await retention(10, false);
    trail.db.prepare('DELETE FROM audit_requests WHERE seq = 7').run();
    expect(verifyTrail(createAuditStore(trail.db), noKey).problem).toMatchObject({ kind: 'removed', seq: 7 });
  });

  it('archived rows can be re-verified offline from their own chain fields', async () => {
    const { archive } = await retention(10);
    const rows = gunzipSync(readFileSync(archive!)).toString('utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    let prev = '0'.repeat(64);
    const { COLUMNS, storedValues } = await import('../../../daemon/audit/audit-store.js');
    expect(COLUMNS.request.length).toBeGreaterThan(20);
    for (const row of rows) {
      const { kind: _kind, seq, prev_hash, hash, ...record } = row;
      expect(prev_hash).toBe(prev);
      expect(hashRow('request', seq as number, prev, storedValues('request', record as never))).toBe(hash);
      prev = hash as string;
    }
  });

  it('does nothing with keep_days 0', async () => {
    const result = await runRetention({ store: createAuditStore(trail.db), writer, acknowledgedSeq: () => 10, keepDays: 0, archiveDir: null, now: () => NOW });
    expect(result).toMatchObject({ deleted: 0, heldBy: 'keep-forever' });
  });
});
