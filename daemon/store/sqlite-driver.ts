// Which better-sqlite3 opens the daemon's SQLite files: the one major that works on the Node
// running us. better-sqlite3 12 wraps its objects in node::ObjectWrap, whose destructor on
// Node >= 24.19 asserts it runs inside a JavaScript context: a Statement collected by an idle
// GC (or at exit) aborts the process ("Assertion failed: (env) != nullptr"; the daemon died
// within a second of `kagami start` on Node 24.21). better-sqlite3 13 is built on Node-API and
// does not, but needs Node >= 22 (it crashes Node 20). So: 13 (installed under the npm alias
// `better-sqlite3-napi`) on Node >= 22, 12 on Node 20. The two have the same API and file format.
// Both are optional dependencies: npm skips 13 on Node 20 (its engines field says >= 22), and a
// copy that fails to build (no prebuilt binary, no compiler) does not fail `npm install` for a
// Node that never loads it. The one this Node needs being absent is reported here, by name.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const requireHere = createRequire(import.meta.url);
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The package name this process loads. */
export const SQLITE_DRIVER = NODE_MAJOR >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';

/** The driver this Node needs is not installed or does not load (bin/kagami.js prints just the message). */
export class SqliteDriverError extends Error {
  override name = 'SqliteDriverError';
}

/**
 * Loads the named driver package; when it is missing or does not load, the error says which
 * package this Node needs and how to get it.
 */
export function loadSqliteDriver(name: string): typeof BetterSqlite3 {
  try {
    return requireHere(name) as typeof BetterSqlite3;
  } catch (error) {
    throw new SqliteDriverError(
      `SQLite driver "${name}" (the one Node ${process.versions.node} needs) could not be loaded: ` +
        `${(error as Error).message.split('\n')[0]}. Run \`npm install\` with this Node version ` +
        '(npm installs only the driver that matches the Node running it; building it needs a C++ compiler when no prebuilt binary fits)',
      { cause: error },
    );
  }
}

/** better-sqlite3's Database class (constructor), from the driver above. */
export const Database = loadSqliteDriver(SQLITE_DRIVER);
