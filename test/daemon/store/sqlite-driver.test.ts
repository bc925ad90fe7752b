import { describe, expect, it } from 'vitest';
import { Database, loadSqliteDriver, SQLITE_DRIVER, SqliteDriverError } from '../../../daemon/store/sqlite-driver.js';

describe('SQLite driver', () => {
  it('loads the better-sqlite3 major this Node needs (13 on Node >= 22, 12 on Node 20)', () => {
    const major = Number(process.versions.node.split('.')[0]);
    expect(SQLITE_DRIVER).toBe(major >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3');
    const db = new Database(':memory:');
    try {
      expect(db.prepare('SELECT sqlite_version() AS v').get()).toEqual({ v: expect.stringMatching(/^3\.\d+\.\d+$/) });
    } finally {
      db.close();
    }
  });

  it('names the missing package, the Node version and the fix when the driver is not installed', () => {
    // An optional dependency npm skipped (wrong engines, failed build) is simply absent.
    expect(() => loadSqliteDriver('better-sqlite3-not-installed')).toThrow(SqliteDriverError);
    expect(() => loadSqliteDriver('better-sqlite3-not-installed')).toThrow(
      new RegExp(
        `^SQLite driver "better-sqlite3-not-installed" \\(the one Node ${process.versions.node.replaceAll('.', '\\.')} needs\\) could not be loaded: Cannot find module 'better-sqlite3-not-installed'.*Run \`npm install\` with this Node version`,
      ),
    );
  });
});
