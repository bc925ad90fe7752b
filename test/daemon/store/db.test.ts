import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../daemon/store/db.js';
import type { AreaMigrations } from '../../../daemon/store/migrations/types.js';

describe('openDatabase', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kagami-db-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('creates <data_dir>/kagami.db in WAL mode with NORMAL sync, in an owner-only directory', () => {
    const dataDir = join(root, 'data');
    const db = openDatabase(dataDir);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(db.name).toBe(join(dataDir, 'kagami.db'));
    db.close();
  });

  it('runs each area\'s new steps once, and only the new ones on a later open', () => {
    const v1: AreaMigrations = { area: 'demo', steps: ['CREATE TABLE demo_a (x INTEGER)'] };
    const v2: AreaMigrations = { area: 'demo', steps: [...v1.steps, 'ALTER TABLE demo_a ADD COLUMN y TEXT', (db) => db.exec("INSERT INTO demo_a VALUES (1, 'one')")] };
    openDatabase(root, { migrations: [v1] }).close();
    openDatabase(root, { migrations: [v1] }).close();
    const db = openDatabase(root, { migrations: [v2] });
    expect(db.prepare('SELECT * FROM demo_a').all()).toEqual([{ x: 1, y: 'one' }]);
    expect(db.prepare("SELECT version FROM store_migrations WHERE area = 'demo'").get()).toEqual({ version: 3 });
    db.close();
  });

  it('rolls back a failing area and refuses a database newer than the code', () => {
    const broken: AreaMigrations = { area: 'demo', steps: ['CREATE TABLE demo_a (x INTEGER)', 'NOT SQL'] };
    expect(() => openDatabase(root, { migrations: [broken] })).toThrow(/syntax error/);
    const db = openDatabase(root, { migrations: [] });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'demo_a'").get()).toBeUndefined();
    db.close();
    openDatabase(root, { migrations: [{ area: 'demo', steps: ['SELECT 1', 'SELECT 2'] }] }).close();
    expect(() => openDatabase(root, { migrations: [{ area: 'demo', steps: ['SELECT 1'] }] })).toThrow(/newer than this kagami knows/);
  });

  it('applies every registered area (keys included) by default', () => {
    const db = openDatabase(root);
    const areas = db.prepare('SELECT area FROM store_migrations').pluck().all();
    expect(areas).toContain('keys');
    db.close();
  });
});
