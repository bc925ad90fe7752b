// `kagami audit verify|export|tail` and `kagami siem status` through the CLI entry (runCli),
// on a trail written by the daemon's own audit runtime (writer, signed checkpoints with the
// key where the daemon keeps it: the OS keychain, or the 0600 file when none is reachable).
// Tampering with the SQLite file (edit, delete, insert, whole-file swap) makes verify name
// the row and exit 1.
import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../../daemon/store/sqlite-driver.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startAuditTrail } from '../../../daemon/audit/audit-trail.js';
import { runCli } from '../../../daemon/cli/main.js';
import { openDatabase } from '../../../daemon/store/db.js';
import { forgetCheckpointKey, sampleRecord } from '../audit/trail-db.js';

const T0 = Date.parse('2026-11-20T10:00:00Z');

/** Writes a trail of 12 requests (+ findings + checkpoints) the way the daemon does (one commit per request: `before_response`). */
async function writeTrail(dataDir: string, tenantOf: (i: number) => string = (i) => (i % 3 === 0 ? 'globex' : 'acme')): Promise<void> {
  const db = openDatabase(dataDir);
  const trail = startAuditTrail({ config: { data_dir: dataDir, audit: { commit: 'before_response', writer: 'event_loop', keep_days: 0, archive: false, checkpoint_every_rows: 5, checkpoint_every_s: 3600 } }, db, log: () => {} });
  for (let i = 1; i <= 12; i++) {
    await trail.writer.append(sampleRecord({ trace_id: `trace-${i}`, ts: T0 + i * 60_000, tenant: tenantOf(i), status: i === 7 ? 429 : 200, requested_model: i === 4 ? '=HYPERLINK("http://x")' : 'gpt-4o-mini' }));
    if (i === 2) await trail.writer.appendRedactions('trace-2', [{ entityType: 'EMAIL', detector: 'email', score: 0.99, action: 'mask', path: 'messages[0].content', start: 3, end: 20, preview: 'j***@e******.com' }]);
  }
  await trail.close();
  db.close();
}

describe('kagami audit / siem CLI', () => {
  let dir: string;
  let dataDir: string;
  let configFile: string;
  let stdout: string;
  let stderr: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kagami-audit-cli-'));
    dataDir = join(dir, 'data');
    configFile = join(dir, 'kagami.yaml');
    writeFileSync(configFile, [`data_dir: "${dataDir}"`, 'listen: { port: 1 }', 'siem:', '  sinks:', '    - { type: webhook, id: hook, url: "http://127.0.0.1:1/x" }', ''].join('\n'));
    await writeTrail(dataDir);
    stdout = '';
    stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((stdout += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    forgetCheckpointKey(dataDir);
    forgetCheckpointKey(join(dir, 'other'));
    rmSync(dir, { recursive: true, force: true });
  });

  const kagami = (...args: string[]) => runCli([...args, '--config', configFile], '0.0.0-test');
  const tamper = (sql: string) => {
    const db = new Database(join(dataDir, 'kagami.db'));
    db.prepare(sql).run();
    db.close();
  };

  describe('verify', () => {
    it('passes the untouched trail with its checkpoints verified', async () => {
      expect(await kagami('audit', 'verify')).toBe(0);
      expect(stdout).toMatch(/^audit trail intact: 16 rows, seq 1…16, [1-9]\d* signed checkpoints verified\n/);
    });

    it('refuses a --public-key file that is not an Ed25519 public key, naming it', async () => {
      expect(await kagami('audit', 'verify', '--public-key', configFile)).toBe(1);
      expect(stderr).toContain(`kagami audit: ${configFile} is not an Ed25519 public key (expected a PEM "-----BEGIN PUBLIC KEY-----"`);
      const rsa = join(dir, 'rsa.pub');
      writeFileSync(rsa, generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'pem', type: 'spki' }));
      expect(await kagami('audit', 'verify', '--public-key', rsa)).toBe(1);
      expect(stderr).toContain(`${rsa} is a rsa key, not an Ed25519 public key`);
      expect(await kagami('audit', 'verify', '--public-key', join(dir, 'missing.pub'))).toBe(1);
      expect(stderr).toContain(`cannot read the public key file ${join(dir, 'missing.pub')}: ENOENT`);
    });

    it('names an edited row', async () => {
      tamper("UPDATE audit_requests SET user = 'mallory' WHERE trace_id = 'trace-5'");
      expect(await kagami('audit', 'verify')).toBe(1);
      expect(stdout).toContain('AUDIT TRAIL TAMPERED: altered at seq 7 (audit_requests, trace trace-5)');
    });

    it('names a deleted row', async () => {
      tamper("DELETE FROM audit_requests WHERE trace_id = 'trace-9'");
      expect(await kagami('audit', 'verify')).toBe(1);
      // trace-9 is seq 12 (a redaction row and two checkpoints come before it)
      expect(stdout).toContain('AUDIT TRAIL TAMPERED: removed at seq 12\n');
      expect(stdout).toContain('seq 12 was removed (the trail jumps from seq 11 to seq 13 in audit_requests (trace trace-10))');
    });

    it('names an inserted row', async () => {
      // A forged finding given the seq (and chain fields) of an existing request row.
      tamper(`INSERT INTO audit_redactions (seq, prev_hash, hash, trace_id, ts, entity_type, detector, score, action)
        SELECT seq, prev_hash, hash, 'forged-trace', ts, 'EMAIL', 'email', 1, 'allow' FROM audit_requests WHERE trace_id = 'trace-9'`);
      expect(await kagami('audit', 'verify', '--json')).toBe(1);
      const report = JSON.parse(stdout) as { problem: { kind: string; table: string; traceId: string } };
      expect(report.problem).toMatchObject({ kind: 'inserted', table: 'audit_redactions', traceId: 'forged-trace' });
    });

    it('catches the whole database file swapped for another valid trail', async () => {
      const other = join(dir, 'other');
      await writeTrail(other, () => 'acme');
      copyFileSync(join(other, 'kagami.db'), join(dataDir, 'kagami.db'));
      expect(await kagami('audit', 'verify')).toBe(1);
      // Signed by another key (file keys: one per data dir) or, with the shared keychain key,
      // not the chain the checkpoint file outside the database signed.
      expect(stdout).toMatch(/TAMPERED: checkpoint (forged|mismatch) at seq \d+/);
    });
  });

  describe('export', () => {
    it('writes NDJSON rows, oldest first, matching the filters, in their exact stored form', async () => {
      expect(await kagami('audit', 'export', '--tenant', 'acme', '--status', '2xx', '--from', '2026-11-20T10:02:00Z')).toBe(0);
      const rows = stdout.trim().split('\n').map((line) => JSON.parse(line) as { trace_id: string; seq: number; hash: string; tenant: string });
      expect(rows.map((row) => row.trace_id)).toEqual(['trace-2', 'trace-4', 'trace-5', 'trace-8', 'trace-10', 'trace-11']);
      expect(rows.every((row) => row.tenant === 'acme' && /^[0-9a-f]{64}$/.test(row.hash))).toBe(true);
    });

    it('filters by entity type and exports the redaction log', async () => {
      expect(await kagami('audit', 'export', '--entity-type', 'EMAIL')).toBe(0);
      expect(stdout.trim().split('\n').map((line) => (JSON.parse(line) as { trace_id: string }).trace_id)).toEqual(['trace-2']);
      stdout = '';
      expect(await kagami('audit', 'export', '--kind', 'redaction')).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({ trace_id: 'trace-2', entity_type: 'EMAIL', preview: 'j***@e******.com' });
    });

    it('writes CSV with a header, quoting, and formula-looking text defused', async () => {
      const out = join(dir, 'export.csv');
      expect(await kagami('audit', 'export', '--format', 'csv', '--trace-id', 'trace-4', '--out', out)).toBe(0);
      const [header, line, end] = readFileSync(out, 'utf8').split('\r\n');
      expect(header!.split(',').slice(0, 5)).toEqual(['seq', 'prev_hash', 'hash', 'trace_id', 'ts']);
      expect(line).toContain(`"'=HYPERLINK(""http://x"")"`);
      expect(line).toContain('"{""EMAIL:mask"":1}"');
      expect(end).toBe('');
      expect(stderr).toContain('1 request rows written');
    });

    it('refuses a bad filter naming the flag', async () => {
      expect(await kagami('audit', 'export', '--status', 'teapot')).toBe(2);
      expect(stderr).toContain('--status');
      expect(await kagami('audit', 'export', '--kind', 'admin', '--tenant', 'x')).toBe(2);
      expect(stderr).toContain('--tenant does not apply to --kind admin');
    });
  });

  it('tail prints the last rows of the whole trail, one line each', async () => {
    expect(await kagami('audit', 'tail', '-n', '3')).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^2026-11-20T10:11:00\.000Z #14 request 200 acme\/alice gpt-4o-mini -> openai\/gpt-4o-mini-2024-07-18 812ms \$0\.000020 redacted=EMAIL:mask×1 trace=trace-11$/);
    expect(lines[2]).toMatch(/^\S+ #16 admin audit\.checkpoint by daemon /);
  });

  it('tail names -n as written when its value is bad', async () => {
    expect(await kagami('audit', 'tail', '-n', 'abc')).toBe(2);
    expect(stderr).toContain('-n must be an integer from 0 to 100000, got "abc"');
    expect(stderr).not.toContain('--n');
  });

  it('siem status reads the stored cursors when no daemon answers', async () => {
    expect(await kagami('siem', 'status')).toBe(0);
    expect(stdout).toContain('audit trail head: seq 16 (daemon not running: stored delivery cursors)');
    expect(stdout).toContain('hook (webhook): delivering');
    expect(stdout).toContain('lag 16 rows (acknowledged up to seq 0), last delivered never');
  });
});
