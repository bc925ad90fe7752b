// The daemon's audit runtime beyond the writer: administrative events for virtual keys
// created/revoked by another process (the CLI), each a row of its own in the trail, exactly
// once; and a start that refuses a sink it cannot build.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startAuditTrail, type AuditTrail } from '../../../daemon/audit/audit-trail.js';
import { KeyStore } from '../../../daemon/store/keys-store.js';
import { openDatabase } from '../../../daemon/store/db.js';
import { openTrailDb, type TrailDb } from './trail-db.js';

describe('startAuditTrail', () => {
  let trail: TrailDb;
  let audit: AuditTrail;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    trail = openTrailDb();
    audit = startAuditTrail({ config: { data_dir: trail.dir }, db: trail.db, log: () => {} });
  });
  afterEach(async () => {
    await audit.close();
    vi.useRealTimers();
    trail.remove();
  });

  const adminEvents = () =>
    (trail.db.prepare("SELECT type, tenant, details FROM audit_admin_events WHERE type != 'audit.checkpoint' ORDER BY seq").all() as { type: string; tenant: string; details: string }[])
      .map((row) => ({ type: row.type, tenant: row.tenant, details: JSON.parse(row.details) as Record<string, unknown> }));

  it('records keys created and revoked by another process (the CLI) as admin events', async () => {
    const cliDb = openDatabase(trail.dir); // every area's migrations, keys included
    const daemonKeys = new KeyStore(trail.db, { refreshMs: 0 });
    audit.watchKeys(daemonKeys);
    const cli = new KeyStore(cliDb, { refreshMs: 0 });
    const { id } = cli.create({ tenant: 'acme', user: 'carol' });
    vi.advanceTimersByTime(1000);
    cli.revoke(id);
    vi.advanceTimersByTime(1000);
    vi.advanceTimersByTime(1000); // nothing changed: nothing more recorded
    await audit.writer.flush();
    expect(adminEvents()).toEqual([
      { type: 'key.created', tenant: 'acme', details: expect.objectContaining({ key_id: id, user: 'carol' }) },
      { type: 'key.revoked', tenant: 'acme', details: expect.objectContaining({ key_id: id, user: 'carol', revoked_at: expect.any(Number) }) },
    ]);
    cliDb.close();
    daemonKeys.close();
  });

  it('records at start the key changes made while the daemon was not running, once', async () => {
    const cliDb = openDatabase(trail.dir);
    const cli = new KeyStore(cliDb, { refreshMs: 0 });
    const daemonKeys = new KeyStore(trail.db, { refreshMs: 0 });
    audit.watchKeys(daemonKeys);
    const early = cli.create({ tenant: 'acme', user: 'dave' });
    await audit.close(); // the daemon stops (and records what it saw last)
    const late = cli.create({ tenant: 'globex', user: 'erin' }); // made while it is down
    cli.revoke(early.id);
    audit = startAuditTrail({ config: { data_dir: trail.dir }, db: trail.db, log: () => {} });
    audit.watchKeys(daemonKeys);
    vi.advanceTimersByTime(3000);
    await audit.writer.flush();
    // Each change exactly once (keys made in the same millisecond may come in either order).
    const recorded = adminEvents().map((event) => `${event.type} ${String(event.details.key_id)}`);
    expect(recorded.sort()).toEqual([`key.created ${early.id}`, `key.created ${late.id}`, `key.revoked ${early.id}`].sort());
    cliDb.close();
    daemonKeys.close();
  });

  it('refuses to start with a sink it cannot build, naming the sink', () => {
    const other = openTrailDb();
    try {
      expect(() => startAuditTrail({
        config: { data_dir: other.dir, siem: { sinks: [{ type: 'splunk_hec', id: 'splunk', url: 'https://127.0.0.1:8088', token: { env: 'KAGAMI_TEST_UNSET_HEC_TOKEN' } }], batch_size: 10, max_backoff_s: 1, timeout_s: 1 } },
        db: other.db,
        log: () => {},
      })).toThrow('siem.sinks[0] (splunk): environment variable KAGAMI_TEST_UNSET_HEC_TOKEN is not set');
    } finally {
      other.remove();
    }
  });
});
