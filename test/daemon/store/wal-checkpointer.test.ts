import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type SqliteDatabase } from '../../../daemon/store/db.js';
import { startWalCheckpointer, type WalCheckpointer } from '../../../daemon/store/wal-checkpointer.js';

describe('startWalCheckpointer', () => {
  let root: string;
  let db: SqliteDatabase;
  let checkpointer: WalCheckpointer | undefined;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kagami-wal-'));
    db = openDatabase(root, { migrations: [{ area: 'demo', steps: ['CREATE TABLE demo_rows (x TEXT)'] }] });
  });
  afterEach(async () => {
    await checkpointer?.close();
    checkpointer = undefined;
    db.close();
    rmSync(root, { recursive: true, force: true });
  });

  const writeRows = (count: number): void => {
    const insert = db.prepare('INSERT INTO demo_rows (x) VALUES (?)');
    for (let i = 0; i < count; i++) insert.run('x'.repeat(2000));
  };

  it("turns off the daemon connection's automatic checkpoints while it runs, and back on when closed", async () => {
    checkpointer = startWalCheckpointer(db, { intervalMs: 60_000 });
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    await checkpointer.close();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
  });

  it('copies committed WAL pages into the database file from its own thread', async () => {
    checkpointer = startWalCheckpointer(db, { intervalMs: 60_000 });
    const before = statSync(join(root, 'kagami.db')).size;
    writeRows(3000); // well past 1000 WAL pages: the daemon connection would have checkpointed itself
    expect(statSync(join(root, 'kagami.db')).size).toBe(before);
    const result = await checkpointer.checkpoint();
    expect(result.busy).toBe(0);
    expect(result.log).toBeGreaterThan(1000);
    expect(result.checkpointed).toBe(result.log);
    expect(statSync(join(root, 'kagami.db')).size).toBeGreaterThan(before + 3000 * 2000);
    expect(db.prepare('SELECT COUNT(*) AS n FROM demo_rows').get()).toEqual({ n: 3000 });
  });

  it('refuses checkpoints after close', async () => {
    checkpointer = startWalCheckpointer(db, { intervalMs: 60_000 });
    await checkpointer.close();
    await expect(checkpointer.checkpoint()).rejects.toThrow('stopped');
  });
});
