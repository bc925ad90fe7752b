// SQL for the exact-match response cache (table policy_cache; migrations in
// daemon/store/migrations/policy.ts).
import type { Database } from 'better-sqlite3';

export interface CacheRow {
  readonly key: string;
  readonly body: string;
  readonly target: string;
  readonly created_at: number;
  readonly expires_at: number;
}

export interface CacheStore {
  get(key: string, now: number): CacheRow | undefined;
  putAll(rows: readonly CacheRow[]): void;
  /** Deletes expired rows and keeps at most `maxEntries` (newest); returns rows deleted. */
  prune(now: number, maxEntries: number): number;
}

export function createCacheStore(db: Database): CacheStore {
  const get = db.prepare<[string, number], CacheRow>('SELECT key, body, target, created_at, expires_at FROM policy_cache WHERE key = ? AND expires_at > ?');
  const put = db.prepare<[string, string, string, number, number]>(
    'INSERT OR REPLACE INTO policy_cache (key, body, target, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  );
  const putAll = db.transaction((rows: readonly CacheRow[]) => {
    for (const r of rows) put.run(r.key, r.body, r.target, r.created_at, r.expires_at);
  });
  const expire = db.prepare<[number]>('DELETE FROM policy_cache WHERE expires_at <= ?');
  const trim = db.prepare<[number]>('DELETE FROM policy_cache WHERE key IN (SELECT key FROM policy_cache ORDER BY created_at DESC LIMIT -1 OFFSET ?)');
  return {
    get: (key, now) => get.get(key, now),
    putAll: (rows) => putAll(rows),
    prune: (now, maxEntries) => expire.run(now).changes + trim.run(maxEntries).changes,
  };
}
