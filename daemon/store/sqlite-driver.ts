// Which better-sqlite3 opens the daemon's SQLite files: the one major that works on the Node
// running us. better-sqlite3 12 wraps its objects in node::ObjectWrap, whose destructor on
// Node >= 24.19 asserts it runs inside a JavaScript context: a Statement collected by an idle
// GC (or at exit) aborts the process ("Assertion failed: (env) != nullptr"; the daemon died
// within a second of `kagami start` on Node 24.21). better-sqlite3 13 is built on Node-API and
// does not, but needs Node >= 22 (it crashes Node 20). So: 13 (installed under the npm alias
// `better-sqlite3-napi`) on Node >= 22, 12 on Node 20. The two have the same API and file format.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/** The package name this process loads. */
export const SQLITE_DRIVER = NODE_MAJOR >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';

/** better-sqlite3's Database class (constructor), from the driver above. */
export const Database = createRequire(import.meta.url)(SQLITE_DRIVER) as typeof BetterSqlite3;
