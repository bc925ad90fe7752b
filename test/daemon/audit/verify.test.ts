import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditStore } from '../../../daemon/audit/audit-store.js';
import { createAuditWriter, type AuditWriter } from '../../../daemon/audit/audit-writer.js';
import { keyIdOf } from '../../../daemon/audit/checkpoint-key.js';
import {
  CHECKPOINT_FILE_NAME,
  createCheckpointer,
  readCheckpointFile,
  type CheckpointKey,
} from '../../../daemon/audit/checkpoints.js';
import { hashRow } from '../../../daemon/audit/hash-chain.js';
import { verifyTrail, type VerifyOptions } from '../../../daemon/audit/verify.js';
import { openTrailDb, sampleRecord, type TrailDb } from './trail-db.js';

function makeKey(): CheckpointKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey, keyId: keyIdOf(publicKey) };
}

describe('verifyTrail', () => {
  let trail: TrailDb;
  let writer: AuditWriter;
  const noKey: VerifyOptions = { publicKey: null, externalCheckpoint: null };
  const verify = (options = noKey) => verifyTrail(createAuditStore(trail.db), options);

  beforeEach(async () => {
    trail = openTrailDb();
    writer = createAuditWriter(trail.db);
    // seq 1..10: requests with a redaction row after every third one.
    for (let i = 1; i <= 7; i++) {
      await writer.append(sampleRecord({ trace_id: `t${i}`, ts: 1000 + i }));
      if (i % 3 === 0) await writer.appendRedactions(`t${i}`, [{ entityType: 'EMAIL', detector: 'email', score: 1, action: 'mask' }], 1000 + i);
    }
    await writer.appendAdminEvent({ type: 'key.revoked', actor: 'cli', details: { key_id: 'k' } });
  });
  afterEach(() => trail.remove());

  it('passes an untouched trail and counts its rows', () => {
    expect(verify()).toMatchObject({ ok: true, rows: 10, first: 1, last: 10, problem: null });
  });

  it('names the first altered row', () => {
    trail.db.prepare("UPDATE audit_requests SET tenant = 'evil' WHERE seq = 5").run();
    trail.db.prepare("UPDATE audit_requests SET status = 500 WHERE seq = 8").run();
    const report = verify();
    expect(report.ok).toBe(false);
    expect(report.problem).toMatchObject({ kind: 'altered', seq: 5, table: 'audit_requests', traceId: 't4' });
    expect(report.problem?.message).toContain('seq 5 in audit_requests (trace t4) was altered');
  });

  it('names an altered row whose hash was recomputed by the row after it', () => {
    const row = trail.db.prepare('SELECT * FROM audit_redactions WHERE seq = 4').get() as Record<string, unknown>;
    const values = ['t3', row.ts as number, 'PHONE', 'email', 1, 'mask', null, null, null, null];
    trail.db.prepare("UPDATE audit_redactions SET entity_type = 'PHONE', hash = ? WHERE seq = 4").run(hashRow('redaction', 4, row.prev_hash as string, values));
    expect(verify().problem).toMatchObject({ kind: 'altered', seq: 5 });
    expect(verify().problem?.message).toContain('seq 4 was altered');
  });

  it('names a removed row', () => {
    trail.db.prepare('DELETE FROM audit_requests WHERE seq = 6').run();
    expect(verify().problem).toMatchObject({ kind: 'removed', seq: 6, table: null });
    expect(verify().problem?.message).toContain('seq 6 was removed');
  });

  it('names an inserted row that reuses a seq', () => {
    const victim = trail.db.prepare('SELECT prev_hash FROM audit_redactions WHERE seq = 4').get() as { prev_hash: string };
    const columns = Object.keys(trail.db.prepare('SELECT * FROM audit_requests WHERE seq = 1').get() as object);
    const forged = { ...(trail.db.prepare('SELECT * FROM audit_requests WHERE seq = 1').get() as Record<string, unknown>), seq: 4, trace_id: 'forged', prev_hash: victim.prev_hash };
    trail.db.prepare(`INSERT INTO audit_requests (${columns.join(',')}) VALUES (${columns.map((c) => `@${c}`).join(',')})`).run(forged);
    const report = verify();
    expect(report.problem).toMatchObject({ kind: 'inserted', seq: 4, table: 'audit_requests', traceId: 'forged' });
  });

  it('names an inserted row when later rows were renumbered to make room', () => {
    // Shift seq 6..10 up by one and put a new row at 6 with a correct hash over a correct link.
    for (const table of ['audit_admin_events', 'audit_redactions', 'audit_requests']) {
      trail.db.exec(`UPDATE ${table} SET seq = seq + 1000 WHERE seq >= 6; UPDATE ${table} SET seq = seq - 999 WHERE seq >= 1000`);
    }
    // Keep the shifted rows' own hashes consistent so only the link betrays the insertion.
    const prev = trail.db.prepare('SELECT hash FROM audit_requests WHERE seq = 5').get() as { hash: string };
    const row = trail.db.prepare('SELECT * FROM audit_requests WHERE seq = 7').get() as Record<string, unknown>;
    const { seq: _s, prev_hash: _p, hash: _h, ...rest } = row;
    const values = Object.values(rest) as (string | number | null)[];
    const hash = hashRow('request', 6, prev.hash, values);
    const columns = Object.keys(row);
    trail.db.prepare(`INSERT INTO audit_requests (${columns.join(',')}) VALUES (${columns.map((c) => `@${c}`).join(',')})`).run({ ...row, seq: 6, prev_hash: prev.hash, hash });
    for (let seq = 7; seq <= 11; seq++) {
      for (const table of ['audit_requests', 'audit_redactions', 'audit_admin_events']) {
        const r = trail.db.prepare(`SELECT * FROM ${table} WHERE seq = ?`).get(seq) as Record<string, unknown> | undefined;
        if (r === undefined) continue;
        const { seq: _a, prev_hash: p, hash: _b, ...vals } = r;
        const kind = table === 'audit_requests' ? 'request' : table === 'audit_redactions' ? 'redaction' : 'admin';
        trail.db.prepare(`UPDATE ${table} SET hash = ? WHERE seq = ?`).run(hashRow(kind, seq, p as string, Object.values(vals) as (string | number | null)[]), seq);
      }
    }
    expect(verify().problem).toMatchObject({ kind: 'inserted', seq: 6, table: 'audit_requests' });
  });

  describe('with signed checkpoints', () => {
    it('catches a chain rewritten end to end, which the hashes alone cannot', async () => {
      const key = makeKey();
      const file = join(trail.dir, CHECKPOINT_FILE_NAME);
      const checkpointer = createCheckpointer({ writer, key, file, everyRows: 1000, everyMs: 60_000 });
      const details = await checkpointer.checkpoint();
      expect(details).toMatchObject({ seq: 10 });
      await checkpointer.close();
      const options = { publicKey: key.publicKey, externalCheckpoint: readCheckpointFile(file) };
      expect(verifyTrail(createAuditStore(trail.db), options)).toMatchObject({ ok: true, rows: 11, checkpoints: 2 });

      // Rewrite row 2 and recompute every hash after it: the chain is self-consistent again.
      trail.db.prepare("UPDATE audit_requests SET user = 'mallory' WHERE seq = 2").run();
      let prevHash = (trail.db.prepare('SELECT hash FROM audit_requests WHERE seq = 1').get() as { hash: string }).hash;
      for (let seq = 2; seq <= 11; seq++) {
        for (const [table, kind] of [['audit_requests', 'request'], ['audit_redactions', 'redaction'], ['audit_admin_events', 'admin']] as const) {
          const r = trail.db.prepare(`SELECT * FROM ${table} WHERE seq = ?`).get(seq) as Record<string, unknown> | undefined;
          if (r === undefined) continue;
          if (r.type === 'audit.checkpoint') {
            // The forger also fixes the checkpoint's hash, but cannot re-sign it.
            r.details = JSON.stringify({ ...JSON.parse(r.details as string), hash: prevHash });
            trail.db.prepare(`UPDATE ${table} SET details = ? WHERE seq = ?`).run(r.details, seq);
          }
          const { seq: _a, prev_hash: _p, hash: _b, ...vals } = r;
          const hash = hashRow(kind, seq, prevHash, Object.values(vals) as (string | number | null)[]);
          trail.db.prepare(`UPDATE ${table} SET prev_hash = ?, hash = ? WHERE seq = ?`).run(prevHash, hash, seq);
          prevHash = hash;
        }
      }
      expect(verifyTrail(createAuditStore(trail.db), noKey).problem).toBeNull();
      expect(verifyTrail(createAuditStore(trail.db), options).problem).toMatchObject({ kind: 'checkpoint_forged', seq: 11 });
      // Without the key, the checkpoint file kept outside the database still disagrees.
      const fileOnly = verifyTrail(createAuditStore(trail.db), { publicKey: null, externalCheckpoint: options.externalCheckpoint });
      expect(fileOnly.problem).toMatchObject({ kind: 'checkpoint_mismatch', seq: 10, table: null });
    });

    it('catches a whole database replaced by another one', async () => {
      const key = makeKey();
      const file = join(trail.dir, CHECKPOINT_FILE_NAME);
      await createCheckpointer({ writer, key, file, everyRows: 1000, everyMs: 60_000 }).close();
      const other = openTrailDb();
      try {
        const otherWriter = createAuditWriter(other.db);
        for (let i = 0; i < 12; i++) await otherWriter.append(sampleRecord());
        // The forger signs its own checkpoint with its own key.
        await createCheckpointer({ writer: otherWriter, key: makeKey(), file: null, everyRows: 1000, everyMs: 60_000 }).close();
        const report = verifyTrail(createAuditStore(other.db), { publicKey: key.publicKey, externalCheckpoint: readCheckpointFile(file) });
        expect(report.problem?.kind).toBe('checkpoint_forged');
      } finally {
        other.remove();
      }
    });

    it('catches rows cut off the end after the last checkpoint file', async () => {
      const key = makeKey();
      const file = join(trail.dir, CHECKPOINT_FILE_NAME);
      await createCheckpointer({ writer, key, file, everyRows: 1000, everyMs: 60_000 }).close();
      trail.db.exec('DELETE FROM audit_admin_events WHERE seq >= 10; DELETE FROM audit_requests WHERE seq >= 10');
      const report = verifyTrail(createAuditStore(trail.db), { publicKey: key.publicKey, externalCheckpoint: readCheckpointFile(file) });
      expect(report.problem).toMatchObject({ kind: 'truncated', seq: 10 });
    });

    it('writes a checkpoint every N rows on its own', async () => {
      const key = makeKey();
      const checkpointer = createCheckpointer({ writer, key, file: null, everyRows: 5, everyMs: 60_000 });
      for (let i = 0; i < 12; i++) await writer.append(sampleRecord());
      await checkpointer.close();
      const count = trail.db.prepare("SELECT COUNT(*) AS n FROM audit_admin_events WHERE type = 'audit.checkpoint'").get() as { n: number };
      expect(count.n).toBeGreaterThanOrEqual(3);
      expect(verifyTrail(createAuditStore(trail.db), { publicKey: key.publicKey, externalCheckpoint: null })).toMatchObject({ ok: true });
    });
  });
});
