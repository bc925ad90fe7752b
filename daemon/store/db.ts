// The daemon's one SQLite file, `<data_dir>/kagami.db`: opened here in WAL mode, and brought
// up to date by running every area's migrations (daemon/store/migrations/index.ts lists them).
// Only daemon/store/ and each area's own `*-store.ts` files contain SQL.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Database } from './sqlite-driver.js';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { AREA_MIGRATIONS } from './migrations/index.js';
import type { AreaMigrations } from './migrations/types.js';

export type { SqliteDatabase };

export const DB_FILE_NAME = 'kagami.db';

export interface OpenDatabaseOptions {
  /** Migrations to run; defaults to every area's (tests may pass a subset). */
  readonly migrations?: readonly AreaMigrations[];
  readonly readonly?: boolean;
}

/**
 * Opens (creating if needed) `<dataDir>/kagami.db`, sets WAL + synchronous=NORMAL + a busy
 * timeout (the CLI and a running daemon share the file), and applies pending migrations.
 * The data dir is created with mode 0700.
 */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  ensurePrivateDir(dataDir);
  const db = new Database(join(dataDir, DB_FILE_NAME), { readonly: options.readonly ?? false });
  try {
    db.pragma('busy_timeout = 5000');
    if (!options.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      runMigrations(db, options.migrations ?? AREA_MIGRATIONS);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Opens `<dataDir>/kagami.db` only if it already exists: for commands that read or change
 * what a daemon wrote (keys list, audit, policy status…). A mistyped data dir is an error,
 * never a new empty database.
 */
export function openExistingDatabase(dataDir: string, options: OpenDatabaseOptions = {}): SqliteDatabase {
  assertDatabaseExists(dataDir);
  return openDatabase(dataDir, options);
}

/** Throws a clear error unless `<dataDir>/kagami.db` exists. */
export function assertDatabaseExists(dataDir: string): void {
  if (!existsSync(join(dataDir, DB_FILE_NAME))) {
    throw new Error(`no ${DB_FILE_NAME} in ${dataDir} (has \`kagami start\` run with this data dir? check --data-dir or the config's data_dir)`);
  }
}

/** Creates `dir` (and parents) if missing and makes it owner-only. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Applies each area's steps that are newer than the version recorded for that area in
 * `store_migrations`. Each area's pending steps run in one transaction (IMMEDIATE, so two
 * processes starting at once do not both apply them).
 */
export function runMigrations(db: SqliteDatabase, areas: readonly AreaMigrations[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS store_migrations (
    area TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const current = db.prepare<[string], { version: number }>('SELECT version FROM store_migrations WHERE area = ?');
  const record = db.prepare<[string, number, number]>(
    `INSERT INTO store_migrations (area, version, applied_at) VALUES (?, ?, ?)
     ON CONFLICT (area) DO UPDATE SET version = excluded.version, applied_at = excluded.applied_at`,
  );
  const seen = new Set<string>();
  for (const area of areas) {
    if (seen.has(area.area)) throw new Error(`store: migrations for area "${area.area}" are listed twice`);
    seen.add(area.area);
    const apply = db.transaction(() => {
      const done = current.get(area.area)?.version ?? 0;
      if (done > area.steps.length) {
        throw new Error(
          `store: the database has ${area.area} schema version ${done}, newer than this kagami knows (${area.steps.length}); upgrade kagami`,
        );
      }
      for (let version = done + 1; version <= area.steps.length; version++) {
        const step = area.steps[version - 1];
        if (typeof step === 'string') db.exec(step);
        else step?.(db);
      }
      if (done < area.steps.length) record.run(area.area, area.steps.length, Date.now());
    });
    apply.immediate();
  }
}
